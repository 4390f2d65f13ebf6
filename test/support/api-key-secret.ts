/**
 * The secret part of a `psk_<keyId>_<secret>` key, for checking that it never leaks. Not `key.split('_')[2]`:
 * the secret is base64url and may itself contain `_`, even start with one, which left that check empty.
 */
export function secretOf(key: string): string {
  const match = /^psk_[a-z0-9]{16}_([A-Za-z0-9_-]{43})$/.exec(key);
  if (!match) throw new Error('not an API key of the form psk_<keyId>_<secret>');
  return match[1];
}
