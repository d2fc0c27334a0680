import assert from "node:assert/strict";

import { BUNDLED_CHECKPOINT_FILE, bundledCheckpoint } from "../../tools/bundled_weights.ts";

Deno.test("a bundled checkpoint beside a file: module is found in place; unknown names are not", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/bundles/unet/weights/tiny`, { recursive: true });
    await Deno.mkdir(`${root}/tools`);
    const checkpoint = `${root}/bundles/unet/weights/tiny/${BUNDLED_CHECKPOINT_FILE}`;
    await Deno.writeFile(checkpoint, new Uint8Array([1, 2, 3]));
    const moduleUrl = `file://${root}/tools/predict.ts`;
    assert.equal(await bundledCheckpoint("tiny", moduleUrl, `${root}/cache`), checkpoint);
    assert.equal(await bundledCheckpoint("other", moduleUrl, `${root}/cache`), undefined);
    assert.equal(await bundledCheckpoint("../tiny", moduleUrl, `${root}/cache`), undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a bundled checkpoint behind an https-style module URL is downloaded once and cached", async () => {
  const cache = await Deno.makeTempDir();
  const payload = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 251);
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    requests.push(path);
    if (path === `/pkg/bundles/unet/weights/tiny/${BUNDLED_CHECKPOINT_FILE}`) {
      return new Response(payload);
    }
    if (path.includes("/broken/")) return new Response("nope", { status: 500 });
    return new Response("missing", { status: 404 });
  });
  try {
    const moduleUrl = `http://127.0.0.1:${server.addr.port}/pkg/tools/predict.ts`;
    const first = await bundledCheckpoint("tiny", moduleUrl, cache);
    assert.equal(first, `${cache}/tiny/${BUNDLED_CHECKPOINT_FILE}`);
    assert.deepEqual(await Deno.readFile(first!), payload);
    assert.equal(await bundledCheckpoint("tiny", moduleUrl, cache), first);
    assert.equal(requests.length, 1, "the second lookup must come from the cache");
    assert.equal(await bundledCheckpoint("absent", moduleUrl, cache), undefined);
    await assert.rejects(bundledCheckpoint("broken", moduleUrl, cache), /broken.*HTTP 500/);
    const leftovers = [...Deno.readDirSync(cache)].map((e) => e.name).sort();
    assert.deepEqual(leftovers, ["tiny"], "failed downloads leave no files behind");
  } finally {
    await server.shutdown();
    await Deno.remove(cache, { recursive: true });
  }
});
