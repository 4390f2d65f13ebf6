// Type-aware lint. The rule that matters most here: no floating promises — an un-awaited append or publish
// is an event that may silently never happen.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// SQL naming a table of the event store, in a string or a template literal.
const EVENT_STORE_TABLE = String.raw`/\b(FROM|INTO|UPDATE|JOIN)\s+(public\.)?(events|streams|outbox|event_store_position)\b/i`;
const EVENT_STORE_TABLE_QUERIES = [`Literal[value=${EVENT_STORE_TABLE}]`, `TemplateElement[value.raw=${EVENT_STORE_TABLE}]`].map((selector) => ({
  selector,
  message: 'Only libs/event-store queries events, streams, outbox or event_store_position: use EventLog, Outbox or PostgresEventStore.',
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.local/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The domain stays pure: no framework, database or broker imports.
    files: ['libs/domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@nestjs/*', 'typeorm', 'typeorm/*', 'kafkajs', 'pg', '@patchstate/*', 'node:crypto', 'crypto'] },
      ],
    },
  },
  {
    // The event store owns its log: `events`, `streams`, `outbox` and the position counter are read and written
    // only in libs/event-store (EventLog.readAll, Outbox.claim/markPublished, readStream, lastPosition), so their
    // shape can change in one place. Tests are exempt: they inspect and tamper with the tables as an outsider.
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'bench/**/*.ts'],
    ignores: [
      'libs/event-store/**',
      '**/test/**',
      '**/*.spec.ts',
    ],
    rules: {
      'no-restricted-syntax': ['error', ...EVENT_STORE_TABLE_QUERIES],
    },
  },
  {
    // The Kafka client stays behind libs/messaging: kafkajs has had no release since 2.2.4, so replacing it must be
    // a change in one library. Application code gets a MessagingClient (libs/messaging/src/ports.ts); the helpers
    // that hand out kafkajs itself are for tests, which are exempt (they drive the broker directly).
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'bench/**/*.ts', 'migrations/**/*.ts'],
    ignores: [
      'libs/messaging/**',
      'libs/domain/**', // its own rule above forbids kafkajs and more; this one would replace it
      '**/test/**',
      '**/*.spec.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'kafkajs', message: 'Only libs/messaging imports kafkajs: use what it exports.' },
            {
              name: '@patchstate/messaging',
              importNames: ['createKafka', 'ensureTopic', 'messagingClientOf'],
              message: 'These hand out kafkajs itself (for tests): use a MessagingClient (createMessagingClient, or the KAFKA token).',
            },
          ],
          patterns: ['kafkajs/*'],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
    extends: [js.configs.recommended],
  },
  {
    // The console's browser code (served from /console): ES modules that see the browser's globals, not Node's.
    files: ['apps/api/src/console/static/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', sessionStorage: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', HashChangeEvent: 'readonly', URL: 'readonly', setTimeout: 'readonly' },
    },
  },
);
