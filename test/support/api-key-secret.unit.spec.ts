import { secretOf } from './api-key-secret';

describe('secretOf', () => {
  it('returns the whole secret even when it starts with or contains an underscore', () => {
    const secret = `_${'a'.repeat(20)}_${'b'.repeat(21)}`;
    expect(secretOf(`psk_0123456789abcdef_${secret}`)).toBe(secret);
  });

  it('refuses what is not a key, rather than returning an empty string that every text contains', () => {
    expect(() => secretOf('psk_short_')).toThrow(/not an API key/);
  });
});
