// The bundle commands' help, apart from their code: `isogate --help` shows it without loading them.
export const BUNDLE_USAGE = `  isogate bundle build [-m manifest.json] [-o bundle.zip] [-k private.pem] [-y]
                    build a Tyk plugin bundle: checks the manifest (a driver, at least one
                    hook, hook paths among file_list), computes the checksum over file_list
                    in order, signs it with -k (RSA PKCS#1 v1.5, SHA-256), zips manifest.json
                    with the listed files. -y builds it unsigned. file_list paths are relative
                    to the manifest's folder.
  isogate bundle verify FILE [--key public.pem]
                    say what a gateway would decide about a bundle zip as a fresh download:
                    extraction, checksum, and with --key (the gateway's public_key_path) the
                    signature. Exit code 0 when it would load it, 1 when not.
`;
