// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** sandbox/ (the local console and its simulators) is started by main.ts only; tests may import it too. */
const sandboxOnlyFromMain = { group: ['**/sandbox/**', '**/sandbox'], message: 'sandbox/ is imported only by main.ts (and tests).' };
/** @param {string} who */
const notSlackOrOutbox = (who) => ({
  group: ['**/slack/**', '**/outbox/**', '@slack/*'],
  message: `${who} never imports slack/ or outbox/: write outbox rows through db/ queries or report through the notifier wired in main.ts.`,
});
/**
 * @param {string[]} files
 * @param {object[]} patterns
 * @param {string[]} [ignores]
 * @returns {import('eslint').Linter.Config}
 */
const restrict = (files, patterns, ignores) => ({
  files,
  ...(ignores ? { ignores } : {}),
  rules: { 'no-restricted-imports': ['error', { patterns: [...patterns, sandboxOnlyFromMain] }] },
});
// Relative paths leaving db/ for anything but domain/ and config/ (one regex per folder depth).
/** @param {number} up */
const dbOnly = (up) => ({
  regex: `^${'\\.\\./'.repeat(up)}(?!domain/|config/)`,
  message: 'db/ imports only domain/ and config/ (and itself).',
});

const boundaries = () => [
  restrict(['src/**/*.ts'], [], ['src/main.ts', 'src/sandbox/**']),
  restrict(
    ['src/domain/**/*.ts'],
    [
      { regex: '^\\.\\./', message: 'domain/ imports nothing of the project outside domain/.' },
      { group: ['@slack/*', '@aws-sdk/*', 'slonik', 'pg', 'pino'], message: 'domain/ is pure.' },
    ],
  ),
  restrict(
    ['src/runs/**/*.ts'],
    [
      notSlackOrOutbox('runs/'),
      { group: ['**/executor/**'], message: 'runs/ never imports executor/ (the executor picks up what runs/ commits).' },
    ],
  ),
  restrict(['src/executor/**/*.ts'], [notSlackOrOutbox('executor/')]),
  restrict(['src/db/*.ts'], [dbOnly(1)]),
  restrict(['src/db/*/*.ts'], [dbOnly(2)]),
  restrict(['src/slack/**/*.ts'], [{ group: ['**/executor/**'], message: 'slack/ must not import executor/ (go through the database).' }]),
  restrict(
    ['src/slack/listeners/**/*.ts'],
    [
      { group: ['**/executor/**'], message: 'slack/ must not import executor/ (go through the database).' },
      {
        group: ['../actions/**', '../commands/**', '../events/**', '../options/**', '../views/**'],
        message: 'listeners import builders and view readers from slack/blocks/, never from another listener folder.',
      },
    ],
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  // The dependency rules of the architecture (README "Architecture", /work/shared/layout.md). A later block
  // replaces an earlier block's options for the same rule, so every folder's block lists all its patterns.
  ...boundaries(),
  // The launcher's plain-JavaScript modules (src/start.js and what it imports) run in Node.
  {
    files: ['src/start.js', 'src/config/*.js', 'src/process/*.js', 'bench/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { process: 'readonly', URL: 'readonly' } },
    rules: { 'no-console': 'error' },
  },
  // The console page's own scripts run in the browser (served as they are, no build step).
  {
    files: ['src/sandbox/console/static/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'document',
          'window',
          'location',
          'localStorage',
          'fetch',
          'URL',
          'URLSearchParams',
          'setTimeout',
          'clearTimeout',
          'setInterval',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/db/migrateCli.ts', 'src/sandbox/*/main.ts'],
    rules: { 'no-console': 'off' },
  },
);
