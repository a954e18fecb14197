// Lint: the recommended TypeScript rules, the layer and public-surface rules of CONTRIBUTING.md
// (layers.config.js, checked by eslint-plugin-boundaries), and the habits of CONTRIBUTING.md that a
// linter can see.
import js from "@eslint/js";
import boundaries from "eslint-plugin-boundaries";
import tseslint from "typescript-eslint";
import { ENGINE_LEAVES, MAY_IMPORT, THROUGH_INDEX } from "./layers.config.js";

const LAYERS = Object.keys(MAY_IMPORT);

/** One policy per folder: itself freely; a folder below it through its index.ts (engine: or a leaf). */
const policies = LAYERS.flatMap((from) => [
  { from: { element: { type: from } }, allow: { to: { element: { type: from } } } },
  ...MAY_IMPORT[from].map((to) => ({
    from: { element: { type: from } },
    allow: {
      to: {
        element: {
          type: to,
          fileInternalPath:
            THROUGH_INDEX.includes(to) && from !== "cli" ? "index.ts" : to === "engine" && from !== "cli" ? ["index.ts", ...ENGINE_LEAVES] : "**",
        },
      },
    },
  })),
]);

export default tseslint.config(
  { ignores: ["node_modules/**", ".dpu-ci/**", ".pristine/**", "**/testdata/**", "dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-properties": ["error", { object: "process", property: "exit", message: "Only cli/main.ts chooses the exit code (CONTRIBUTING.md)." }],
    },
  },
  {
    files: [`{${LAYERS.join(",")}}/**/*.ts`],
    plugins: { boundaries },
    settings: {
      "boundaries/elements": LAYERS.map((type) => ({ type, pattern: type, partialMatch: false })),
      "boundaries/include": [`{${LAYERS.join(",")}}/**/*.ts`],
    },
    rules: {
      "boundaries/dependencies": [
        "error",
        {
          default: "disallow",
          policies,
          message: "{{from.type}}/ may not import this: see the layers in CONTRIBUTING.md (layers.config.js); another folder is imported through its index.ts",
        },
      ],
    },
  },
  { files: ["cli/main.ts", "bin/**", "test/**", "bench/**", "hw-runners/testbin/**"], rules: { "no-restricted-properties": "off" } },
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        URL: "readonly",
        Buffer: "readonly",
        AbortController: "readonly",
        AbortSignal: "readonly",
      },
    },
  },
);
