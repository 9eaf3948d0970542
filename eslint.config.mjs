// ESLint flat config. Type-aware so that @pulumi/eslint-plugin can tell an Output<T> inside a template
// literal (a classic bug: it renders as "Calling [toString] on an Output<T> is not supported") from a string.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";
import { importBoundaries } from "./eslint.boundaries.mjs";

export default tseslint.config(
  {
    ignores: [
      ".scratch/**",
      "node_modules/**",
      ".synth/**",
      ".local/**",
      ".bench/**",
      "devices/dist/**",
      "components/assets/**",
      "components/dist/**",
      "**/*.cjs",
      "local/dashboard/static/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
  {
    files: ["tests/**/*.ts"],
    rules: { "@typescript-eslint/no-unused-expressions": "off" },
  },
  ...importBoundaries,
);
