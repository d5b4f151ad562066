/** Time-ordered replay of catalog data into the kernel. */
export * from "./replay.js";
