import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'data/**', 'test-artifacts/**', '.*'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // Boundaries from ARCHITECTURE.md: extract/ and lib/ import nothing else from src/, and only
    // app/ imports adapters.
    files: ['src/extract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../jobs/*',
            '../queue/*',
            '../worker/*',
            '../fetch/*',
            '../storage/*',
            '../api/*',
            '../events/*',
            '../cli/*',
          ],
        },
      ],
    },
  },
  {
    files: ['src/jobs/**/*.ts', 'src/worker/**/*.ts', 'src/api/**/*.ts', 'src/events/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['../storage/*', '../queue/*', '../../storage/*', '../../queue/*'] },
      ],
    },
  },
  {
    // queue/ adapters take their stores through the ports of jobs/ports.ts, and cli/ opens storage
    // through the composition root (app/): neither imports the storage adapters.
    files: ['src/queue/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../storage', '../storage/*', '../../storage', '../../storage/*'],
              message: 'Take a port from jobs/ports.ts, or open storage through app/ (the composition root).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
