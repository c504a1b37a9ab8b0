// @memlab/api (a devDependency, only for bench/heap-vs-memlab.js) pulls in puppeteer, whose install
// step would download a browser: leakprof never needs one, and CI reaches only the package registries.
module.exports = { skipDownload: true };
