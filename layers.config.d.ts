// Types of layers.config.js (plain JavaScript: eslint.config.js loads it without a TypeScript loader).
export declare const MAY_IMPORT: Readonly<Record<string, readonly string[]>>;
export declare const THROUGH_INDEX: readonly string[];
export declare const ENGINE_LEAVES: readonly string[];
