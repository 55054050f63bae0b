/** See build-if-stale.mjs. */
export declare const STAMP: string;
export declare function isStale(root: string, inputs?: readonly string[], stamp?: string): boolean;
