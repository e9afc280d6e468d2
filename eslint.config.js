// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // The layering rule from the architecture: slack/ and executor/ never import each other,
    // and the domain imports nothing from the outside world.
    files: ['src/slack/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/executor/**'], message: 'slack/ must not import executor/ (go through the database).' }] }] },
  },
  {
    files: ['src/executor/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/slack/**', '@slack/*'], message: 'executor/ must not import slack/ (report through the notifier).' }] }] },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/slack/**', '**/executor/**', '**/db/**', '**/aws/**', '**/changes/**', '@slack/*', '@aws-sdk/*', 'slonik', 'pg'], message: 'domain/ is pure.' }] }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/db/migrateCli.ts'],
    rules: { 'no-console': 'off' },
  },
);
