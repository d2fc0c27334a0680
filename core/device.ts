/**
 * WebGPU device acquisition: one adapter and device per process, with the adapter's real
 * limits and optional features requested, and device errors surfaced instead of lost.
 *
 * @module
 */

/** Raised when no WebGPU adapter exists, or the device is lost or reports an error. */
export class GpuUnavailableError extends Error {
  /** Creates the error with a message that says what to do. */
  constructor(message: string) {
    super(message);
    this.name = "GpuUnavailableError";
  }
}

/** Raised when the GPU reports a validation, out-of-memory or internal error. */
export class GpuError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "GpuError";
  }
}

/** What the runtime knows about the device in use. */
export interface GpuContext {
  /** The WebGPU device. */
  device: GPUDevice;
  /** Adapter description (vendor, architecture, device, description). */
  info: GPUAdapterInfo;
  /** Limits granted to the device (the adapter's maxima). */
  limits: GPUSupportedLimits;
  /** Optional features enabled on the device. */
  features: ReadonlySet<string>;
  /** True for a software rasteriser such as Mesa's llvmpipe. */
  isSoftware: boolean;
  /** Subgroup size when the `subgroups` feature is on (8 on llvmpipe), else 0. */
  subgroupSize: number;
}

/** The command a user runs to get a software WebGPU adapter on Debian or Ubuntu. */
export const INSTALL_HINT =
  "No WebGPU adapter found. On Debian/Ubuntu install Mesa's software Vulkan driver: " +
  "`sudo apt-get install -y mesa-vulkan-drivers` (or install your GPU's Vulkan driver).";

const WANTED_FEATURES: GPUFeatureName[] = [
  "shader-f16",
  "subgroups" as GPUFeatureName,
  "timestamp-query",
];
const WANTED_LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
  "maxBindGroups",
];

let pending: Promise<GpuContext> | undefined;
let current: GpuContext | undefined;
let deviceFailure: Error | undefined;

/** Overrides of limits used by tests to exercise paths for large tensors on small limits. */
const limitOverrides = new Map<string, number>();

/**
 * Returns the process-wide GPU context, creating it on first call.
 *
 * @example
 * ```ts
 * import { getGpu } from "./device.ts";
 * const gpu = await getGpu();
 * console.log(gpu.info.description, gpu.limits.maxStorageBufferBindingSize);
 * ```
 */
export function getGpu(): Promise<GpuContext> {
  pending ??= acquire().catch((error) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/** The context after {@link getGpu} has resolved; throws if the GPU was not initialised. */
export function gpu(): GpuContext {
  if (!current) {
    throw new GpuUnavailableError("GPU not initialised: `await getGpu()` before creating tensors");
  }
  throwIfDeviceFailed();
  return current;
}

/** Throws the first error the device reported since the last call, if any. */
export function throwIfDeviceFailed(): void {
  if (deviceFailure) {
    const error = deviceFailure;
    if (!(error instanceof GpuUnavailableError)) deviceFailure = undefined;
    throw error;
  }
}

/** A limit of the device, or a smaller override set by {@link overrideLimit}. */
export function deviceLimit(name: keyof GPUSupportedLimits & string): number {
  const override = limitOverrides.get(name);
  const real = Number(gpu().limits[name]);
  return override !== undefined ? Math.min(override, real) : real;
}

/**
 * Pretends a limit is smaller than the device's, so code paths for tensors that exceed it
 * can be tested on any machine. Pass `undefined` to remove the override.
 */
export function overrideLimit(
  name: keyof GPUSupportedLimits & string,
  value: number | undefined,
): void {
  if (value === undefined) limitOverrides.delete(name);
  else limitOverrides.set(name, value);
}

async function acquire(): Promise<GpuContext> {
  if (typeof navigator === "undefined" || !("gpu" in navigator) || !navigator.gpu) {
    throw new GpuUnavailableError(`WebGPU is not available in this runtime. ${INSTALL_HINT}`);
  }
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new GpuUnavailableError(INSTALL_HINT);
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof value === "number") requiredLimits[name] = value;
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: [...requiredFeatures, "subgroups" as GPUFeatureName],
      requiredLimits,
    });
  } catch {
    // Some adapters support subgroups without listing them (llvmpipe); others refuse.
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits,
    });
  }
  device.addEventListener("uncapturederror", (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    deviceFailure ??= new GpuError(`GPU error: ${error.message}`);
  });
  device.lost.then((info) => {
    if (info.reason === "destroyed") return;
    deviceFailure = new GpuUnavailableError(`GPU device lost (${info.reason}): ${info.message}`);
  });
  const info = adapter.info;
  const features = new Set<string>([...device.features]);
  const description = `${info.description} ${info.vendor} ${info.device}`.toLowerCase();
  const isSoftware = info.isFallbackAdapter === true || /llvmpipe|swiftshader|lavapipe/
    .test(description);
  const subgroupSize = features.has("subgroups")
    ? Number((info as unknown as { subgroupMinSize?: number }).subgroupMinSize ?? 0)
    : 0;
  current = { device, info, limits: device.limits, features, isSoftware, subgroupSize };
  return current;
}

/** One line naming the adapter in use, e.g. for logs. */
export function describeGpu(context: GpuContext): string {
  const { info, limits } = context;
  const name = info.description || `${info.vendor} ${info.device}`;
  const kind = context.isSoftware ? "software" : "hardware";
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  return `${name} (${kind}; subgroup ${context.subgroupSize || "n/a"}; ` +
    `max binding ${mib(limits.maxStorageBufferBindingSize)}, ` +
    `max buffer ${mib(Number(limits.maxBufferSize))})`;
}
