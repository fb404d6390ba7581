/**
 * npm run report: rebuilds out/report.html (the claims table and the key figures, see
 * lib/claims/report.ts) from whatever out/ holds now (GENLAB_OUT moves out/), without running any
 * notebook.
 */
import { reportSummary, writeReport } from "../lib/claims/report";

const r = writeReport();
for (const w of r.warnings) console.warn(`report: warning: ${w}`);
console.log(reportSummary(r));
