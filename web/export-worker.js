// The export and upload workers' script (web/src/pipeline/worker/): the page posts it the URL of
// the app's wasm-bindgen glue and its compiled WebAssembly.Module; it instantiates that
// module and hands every later message to `worker_receive`. Messages that come while
// the module is being instantiated wait their turn. It is a file of the app's own origin,
// not a Blob: the API's paths resolve against the worker's URL.
let early = [];
self.onmessage = async ({ data: { glue, module } }) => {
  self.onmessage = ({ data }) => early.push(data);
  try {
    const { default: init, worker_receive } = await import(glue);
    await init({ module_or_path: module });
    self.onmessage = ({ data }) => worker_receive(data);
    for (const data of early) worker_receive(data);
    early = null;
  } catch (e) {
    self.postMessage({ json: JSON.stringify({ kind: "broken", reason: String(e) }) });
  }
};
