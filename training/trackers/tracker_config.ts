/**
 * Where the remote trackers' settings and secrets come from: environment variables, or a
 * JSON file of the same names kept outside the repository (so a key is never committed).
 * The environment wins over the file.
 *
 * Variables: `MLFLOW_TRACKING_URI`, `MLFLOW_TRACKING_TOKEN` (Bearer) or
 * `MLFLOW_TRACKING_USERNAME` + `MLFLOW_TRACKING_PASSWORD` (Basic), `MLFLOW_EXPERIMENT_NAME`;
 * `WANDB_API_KEY`, `WANDB_PROJECT`, `WANDB_ENTITY`, `WANDB_BASE_URL`; `NOTION_TOKEN`,
 * `NOTION_DATABASE_ID`. The file is `MIPCANDY_TRACKER_CONFIG`, else
 * `$XDG_CONFIG_HOME/mipcandy/trackers.json` (`~/.config/...`), e.g.
 * `{ "WANDB_API_KEY": "…", "WANDB_PROJECT": "hippocampus" }`.
 *
 * @module
 */

/** A setting or secret is missing, malformed, or stored where it could be committed. */
export class TrackerConfigError extends Error {
  /** Creates the error; messages never contain a secret's value. */
  constructor(message: string) {
    super(message);
    this.name = "TrackerConfigError";
  }
}

/** Names to values, as read from the environment and the config file. */
export type TrackerEnvironment = Readonly<Record<string, string | undefined>>;

/** How to reach an MLflow tracking server. */
export interface MlflowSettings {
  /** Base URL of the server, e.g. `http://127.0.0.1:5000`. */
  trackingUri: string;
  /** Bearer token, when the server wants one. */
  token?: string;
  /** Basic-auth user, with {@link password}. */
  username?: string;
  /** Basic-auth password, with {@link username}. */
  password?: string;
  /** Experiment that groups the runs; default "mipcandy". */
  experimentName?: string;
}

/** How to reach Weights & Biases. */
export interface WandbSettings {
  /** API key (sent as Basic auth `api:<key>`). */
  apiKey: string;
  /** Project the runs go to. */
  project: string;
  /** Team or user; default the key's own entity. */
  entity?: string;
  /** API server; default `https://api.wandb.ai`. */
  baseUrl: string;
}

/** How to reach a Notion database. */
export interface NotionSettings {
  /** Integration token. */
  token: string;
  /** Database that receives one row per experiment. */
  databaseId: string;
}

/** Where {@link readTrackerEnvironment} looks. */
export interface TrackerConfigSources {
  /** Reads an environment variable; default `Deno.env.get` (undefined without permission). */
  env?: (name: string) => string | undefined;
  /** Config file; default `MIPCANDY_TRACKER_CONFIG` or `~/.config/mipcandy/trackers.json`. */
  configFile?: string;
  /**
   * The repository, which must not contain the config file; default the git work tree around
   * the working directory (no check outside one).
   */
  repositoryRoot?: string;
  /** Where warnings go (a file others can read); default `console.warn`. */
  log?: (message: string) => void;
}

const KNOWN_NAMES = [
  "MLFLOW_TRACKING_URI",
  "MLFLOW_TRACKING_TOKEN",
  "MLFLOW_TRACKING_USERNAME",
  "MLFLOW_TRACKING_PASSWORD",
  "MLFLOW_EXPERIMENT_NAME",
  "WANDB_API_KEY",
  "WANDB_PROJECT",
  "WANDB_ENTITY",
  "WANDB_BASE_URL",
  "NOTION_TOKEN",
  "NOTION_DATABASE_ID",
] as const;

function environmentGetter(): (name: string) => string | undefined {
  return (name) => {
    try {
      return Deno.env.get(name);
    } catch {
      // No --allow-env: the variable counts as unset.
      return undefined;
    }
  };
}

function absolute(path: string): string {
  const joined = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const parts: string[] = [];
  for (const part of joined.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The nearest folder at or above `start` holding `.git`, or undefined. */
function gitWorkTree(start: string): string | undefined {
  let folder = absolute(start);
  while (true) {
    try {
      Deno.statSync(`${folder}/.git`);
      return folder;
    } catch {
      const parent = folder.replace(/\/[^/]*$/, "");
      if (parent === folder || parent === "") return undefined;
      folder = parent;
    }
  }
}

function defaultConfigFile(env: (name: string) => string | undefined): string | undefined {
  const explicit = env("MIPCANDY_TRACKER_CONFIG");
  if (explicit) return explicit;
  const configHome = env("XDG_CONFIG_HOME") ?? (env("HOME") ? `${env("HOME")}/.config` : "");
  return configHome ? `${configHome}/mipcandy/trackers.json` : undefined;
}

async function readConfigFile(
  path: string,
  required: boolean,
  log: (message: string) => void,
): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!required && (error instanceof Deno.errors.NotFound)) return {};
    if (!required && error instanceof Deno.errors.NotCapable) return {};
    throw new TrackerConfigError(`cannot read tracker config ${path}: ${String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TrackerConfigError(`tracker config ${path} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TrackerConfigError(`tracker config ${path} must be a JSON object of name: value`);
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== "string") {
      throw new TrackerConfigError(`tracker config ${path}: ${name} must be a string`);
    }
    values[name] = value;
  }
  try {
    const mode = (await Deno.stat(path)).mode;
    if (mode !== null && (mode & 0o077) !== 0) {
      log(`tracker config ${path} is readable by others; run: chmod 600 ${path}`);
    }
  } catch {
    // Permissions are only advice.
  }
  return values;
}

/**
 * Reads the trackers' settings from the config file (when present) and the environment
 * (which wins). A config file inside the repository is refused, so secrets are never
 * committed.
 *
 * @example
 * ```ts
 * import { readTrackerEnvironment, wandbSettings } from "./tracker_config.ts";
 * const settings = wandbSettings(await readTrackerEnvironment());
 * if (settings === undefined) console.log("W&B not configured");
 * ```
 */
export async function readTrackerEnvironment(
  sources: TrackerConfigSources = {},
): Promise<TrackerEnvironment> {
  const env = sources.env ?? environmentGetter();
  const log = sources.log ?? ((message: string) => console.warn(message));
  const file = sources.configFile ?? defaultConfigFile(env);
  let fromFile: Record<string, string> = {};
  if (file !== undefined) {
    const rootGiven = sources.repositoryRoot ?? gitWorkTree(Deno.cwd());
    const root = rootGiven === undefined ? undefined : absolute(rootGiven);
    const path = absolute(file);
    if (root !== undefined && (path === root || path.startsWith(root + "/"))) {
      throw new TrackerConfigError(
        `tracker config ${path} lies inside the repository ${root}; move it outside ` +
          "(e.g. ~/.config/mipcandy/trackers.json) so its secrets are never committed",
      );
    }
    fromFile = await readConfigFile(path, sources.configFile !== undefined, log);
  }
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const name of KNOWN_NAMES) {
    const value = env(name);
    if (value !== undefined && value !== "") merged[name] = value;
  }
  return merged;
}

function trimmed(env: TrackerEnvironment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function checkUrl(url: string, name: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
  } catch {
    throw new TrackerConfigError(`${name} must be an http(s) URL, got "${url}"`);
  }
  return url.replace(/\/+$/, "");
}

/**
 * MLflow settings, or undefined when `MLFLOW_TRACKING_URI` is unset. Throws
 * {@link TrackerConfigError} for a non-HTTP URI or a user without password.
 */
export function mlflowSettings(env: TrackerEnvironment): MlflowSettings | undefined {
  const uri = trimmed(env, "MLFLOW_TRACKING_URI");
  if (uri === undefined) return undefined;
  const username = trimmed(env, "MLFLOW_TRACKING_USERNAME");
  const password = env["MLFLOW_TRACKING_PASSWORD"];
  if ((username === undefined) !== (password === undefined || password === "")) {
    throw new TrackerConfigError(
      "set both MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or neither",
    );
  }
  return {
    trackingUri: checkUrl(uri, "MLFLOW_TRACKING_URI"),
    token: trimmed(env, "MLFLOW_TRACKING_TOKEN"),
    username,
    password: username === undefined ? undefined : password,
    experimentName: trimmed(env, "MLFLOW_EXPERIMENT_NAME"),
  };
}

/**
 * W&B settings, or undefined when `WANDB_API_KEY` is unset. Throws {@link TrackerConfigError}
 * when the key is set without `WANDB_PROJECT`.
 */
export function wandbSettings(env: TrackerEnvironment): WandbSettings | undefined {
  const apiKey = trimmed(env, "WANDB_API_KEY");
  if (apiKey === undefined) return undefined;
  const project = trimmed(env, "WANDB_PROJECT");
  if (project === undefined) {
    throw new TrackerConfigError("WANDB_API_KEY is set but WANDB_PROJECT is not; set both");
  }
  return {
    apiKey,
    project,
    entity: trimmed(env, "WANDB_ENTITY"),
    baseUrl: checkUrl(trimmed(env, "WANDB_BASE_URL") ?? "https://api.wandb.ai", "WANDB_BASE_URL"),
  };
}

/**
 * Notion settings, or undefined when `NOTION_TOKEN` is unset. Throws
 * {@link TrackerConfigError} when the token is set without `NOTION_DATABASE_ID`.
 */
export function notionSettings(env: TrackerEnvironment): NotionSettings | undefined {
  const token = trimmed(env, "NOTION_TOKEN");
  if (token === undefined) return undefined;
  const databaseId = trimmed(env, "NOTION_DATABASE_ID");
  if (databaseId === undefined) {
    throw new TrackerConfigError("NOTION_TOKEN is set but NOTION_DATABASE_ID is not; set both");
  }
  return { token, databaseId };
}
