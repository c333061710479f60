const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * Formats like Go's `time.Time.String()` (layout `2006-01-02 15:04:05.999999999 -0700 MST`), the
 * form Tyk puts in an event's `TimeStamp`, so plugins that parse it keep working. Always UTC: the
 * zone abbreviation Go prints is not portably available in JS, and UTC is what a containerised
 * Tyk prints anyway. Go drops trailing zeros of the fraction, and the dot when it is zero.
 */
export function goTimeString(date: Date): string {
  const ms = date.getUTCMilliseconds();
  const fraction = ms === 0 ? '' : '.' + pad(ms, 3).replace(/0+$/, '');
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${fraction} +0000 UTC`
  );
}
