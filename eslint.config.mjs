import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'static-web/dist/**', 'bin/**', 'scripts/ensure-installed.js', '.azurite/**', 'bench/.venv/**', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': 'off',
    },
  },
  {
    // Domain code and the training engine stay free of Azure SDKs: they speak to ports.
    files: ['engine/**/*.ts', 'core/domain/**/*.ts', 'core/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@azure/*', 'durable-functions'], message: 'Domain code must not import Azure SDKs; add a port in core/ports and an adapter in core/adapters.' }] }],
    },
  },
);
