// test-hook's arguments, apart from its code: `isogate --help` shows them without loading the gateway.
export const HOOK_CHOICES = ['all', 'pre', 'auth_check', 'post_key_auth', 'post', 'response'] as const;
export type HookChoice = (typeof HOOK_CHOICES)[number];

export interface TestHookArgs {
  conf: string;
  api: string;
  hook: string;
  request: string;
  session?: string;
  json: boolean;
}
