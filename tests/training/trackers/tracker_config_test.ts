import assert from "node:assert/strict";
import {
  mlflowSettings,
  notionSettings,
  readTrackerEnvironment,
  TrackerConfigError,
  wandbSettings,
} from "../../../training/trackers/tracker_config.ts";

const envOf = (values: Record<string, string>) => (name: string) => values[name];

Deno.test("settings come from the config file, the environment wins", async () => {
  const home = await Deno.makeTempDir();
  try {
    const file = `${home}/trackers.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ WANDB_API_KEY: "file-key", WANDB_PROJECT: "from-file" }),
    );
    await Deno.chmod(file, 0o644);
    const warnings: string[] = [];
    const env = await readTrackerEnvironment({
      env: envOf({ WANDB_PROJECT: "from-env", MLFLOW_TRACKING_URI: "http://127.0.0.1:5000/" }),
      configFile: file,
      repositoryRoot: "/work/main",
      log: (m) => warnings.push(m),
    });
    assert.deepEqual(wandbSettings(env), {
      apiKey: "file-key",
      project: "from-env",
      entity: undefined,
      baseUrl: "https://api.wandb.ai",
    });
    assert.equal(mlflowSettings(env)?.trackingUri, "http://127.0.0.1:5000");
    assert.equal(notionSettings(env), undefined);
    assert.equal(warnings.length, 1, "a config file others can read is flagged");
    assert.ok(!warnings[0].includes("file-key"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a config file inside the repository is refused; a missing default is fine", async () => {
  await assert.rejects(
    readTrackerEnvironment({
      env: envOf({}),
      configFile: "secrets/trackers.json",
      repositoryRoot: Deno.cwd(),
    }),
    (error: unknown) => error instanceof TrackerConfigError && /outside/.test(error.message),
  );
  const env = await readTrackerEnvironment({
    env: envOf({ HOME: "/nonexistent-home", NOTION_TOKEN: "t0ken", NOTION_DATABASE_ID: "db" }),
    repositoryRoot: Deno.cwd(),
  });
  assert.deepEqual(notionSettings(env), { token: "t0ken", databaseId: "db" });
});

Deno.test("incomplete or malformed settings throw without echoing secrets", () => {
  assert.throws(
    () => wandbSettings({ WANDB_API_KEY: "abcd1234" }),
    (error: unknown) => error instanceof TrackerConfigError && !error.message.includes("abcd1234"),
  );
  assert.throws(() => notionSettings({ NOTION_TOKEN: "tok" }), TrackerConfigError);
  assert.throws(
    () => mlflowSettings({ MLFLOW_TRACKING_URI: "http://h", MLFLOW_TRACKING_USERNAME: "ana" }),
    TrackerConfigError,
  );
  assert.throws(() => mlflowSettings({ MLFLOW_TRACKING_URI: "databricks" }), TrackerConfigError);
  assert.deepEqual(
    mlflowSettings({
      MLFLOW_TRACKING_URI: "https://mlflow.example.org",
      MLFLOW_TRACKING_USERNAME: "ana",
      MLFLOW_TRACKING_PASSWORD: "pw",
    }),
    {
      trackingUri: "https://mlflow.example.org",
      token: undefined,
      username: "ana",
      password: "pw",
      experimentName: undefined,
    },
  );
});
