/** Data for genlab: IDX files, MNIST / Fashion-MNIST, batching helpers and 2-D toy sets. */
export * from "./idx";
export * from "./mnist";
export * from "./batch";
export * from "./toys";
