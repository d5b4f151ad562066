/** The Parquet data catalog: day partitions per venue / instrument / data type. */
export * from "./catalog.js";
export * from "./schema.js";
