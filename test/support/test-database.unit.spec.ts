import { assertTestDatabase } from './test-database';

describe('test setup refuses a database whose name does not say test', () => {
  it('refuses the service database and any other name without "test"', () => {
    expect(() => assertTestDatabase('postgres://postgres@127.0.0.1:5432/patchstate')).toThrow(/must contain "test"/);
    expect(() => assertTestDatabase('postgres://postgres@127.0.0.1:5432/production')).toThrow(/refusing/);
  });

  it('accepts a test database', () => {
    expect(() => assertTestDatabase('postgres://postgres@127.0.0.1:5432/patchstate_test')).not.toThrow();
  });
});
