// Lint: the recommended TypeScript rules plus the habits of STYLE.md that a linter can see.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", ".dpu-ci/**", "**/testdata/**", "dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-properties": ["error", { object: "process", property: "exit", message: "Only cli/main.ts chooses the exit code." }],
    },
  },
  { files: ["cli/main.ts", "bin/**", "test/**", "bench/**", "hw-runners/testbin/**"], rules: { "no-restricted-properties": "off" } },
  { languageOptions: { globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", URL: "readonly", Buffer: "readonly", AbortController: "readonly", AbortSignal: "readonly" } } },
);
