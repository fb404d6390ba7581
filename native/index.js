"use strict";
// The compiled addon (build/Release/genlab_blas.node). Requiring this package throws when the
// build did not happen; lib/runtime/wasm-kernels.ts catches that and keeps the wasm-only path.
module.exports = require("./build/Release/genlab_blas.node");
