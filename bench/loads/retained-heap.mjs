// Bench load for check: keeps MB megabytes (env RETAIN_MB) reachable until exit, then exits by itself.
const mb = Number(process.env.RETAIN_MB ?? 0);
globalThis.kept = [];
for (let i = 0; i < mb; i++) globalThis.kept.push(new Array(128 * 1024).fill(i));
