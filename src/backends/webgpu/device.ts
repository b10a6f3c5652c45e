/**
 * The WebGPU device: Dawn through the `webgpu` package, loaded only when a
 * caller asks for the GPU (so CPU-only use never loads dawn.node). Errors
 * from the device (validation, out of memory, loss) are recorded as they
 * arrive and make the next operation that waits on the GPU reject with a
 * message naming them; a lost device stays lost (call webgpu() again for a
 * new one).
 */
export type WebGpuBackendName = 'vulkan' | 'metal' | 'd3d12' | 'd3d11' | 'opengl' | 'opengles' | 'null';

export interface WebGpuOptions {
  powerPreference?: 'low-power' | 'high-performance';
  /** Dawn backend to use (default: the platform's best). */
  backend?: WebGpuBackendName;
  /** Adapter name, as Dawn lists it (an unknown name makes the error list them). */
  adapter?: string;
}

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /**
   * The Dawn backend the adapter runs on: the one asked for, else the
   * platform's (Dawn's JS API does not report it; the webgpu package builds
   * Vulkan on Linux, Metal on macOS, D3D12 on Windows).
   */
  backend: string;
  /** A fallback (software) adapter, as Mesa's lavapipe: it proves the code paths, its timings are not a GPU's. */
  fallback: boolean;
  /** The adapter's optional features that sparq uses and got. */
  features: string[];
  /** The smallest subgroup the adapter runs (a power of 2); 0 without 'subgroups'. */
  subgroupMinSize: number;
  limits: { maxComputeWorkgroupsPerDimension: number; maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeInvocationsPerWorkgroup: number };
}

/** The backend Dawn picks by default on each platform the webgpu package ships for. */
const PLATFORM_BACKEND: Partial<Record<NodeJS.Platform, string>> = { linux: 'vulkan', darwin: 'metal', win32: 'd3d12' };

/** Features sparq asks for when the adapter has them. */
const WANTED_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

const NO_ADAPTER_HINT =
  'Install a GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) support; on a Linux machine without a GPU, ' +
  "Mesa's software Vulkan driver works: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1 (Mesa 25 or newer).";

/** How long an operation that failed waits for the device's loss to be reported before it reports its own error. */
const LOSS_GRACE_MS = 100;

export class GpuDevice {
  private readonly errors: string[] = [];
  private lostReason: string | null = null;

  private constructor(
    /**
     * Never read: holding it is the point. Dawn's instance must outlive the
     * device; if it is garbage collected, Node crashes at random.
     */
    private readonly gpu: GPU,
    readonly device: GPUDevice,
    readonly report: AdapterReport,
  ) {
    device.onuncapturederror = (event) => this.errors.push(event.error.message);
    this.loss = device.lost.then((info) => {
      this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  /** Settles when the device is lost (destroyed, driver reset, removed). */
  private readonly loss: Promise<void>;

  static async create(options: WebGpuOptions): Promise<GpuDevice> {
    let module: typeof import('webgpu');
    try {
      module = await import('webgpu');
    } catch (e) {
      throw new Error(`sparq webgpu: the 'webgpu' package (Dawn) did not load: ${(e as Error).message}`);
    }
    const flags: string[] = [];
    if (options.backend !== undefined) flags.push(`backend=${options.backend}`);
    if (options.adapter !== undefined) flags.push(`adapter=${options.adapter}`);
    Object.assign(globalThis, module.globals);
    const gpu = module.create(flags);
    let adapter: GPUAdapter | null;
    try {
      adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference });
    } catch (e) {
      throw new Error(`sparq webgpu: no adapter (${(e as Error).message}). ${NO_ADAPTER_HINT}`);
    }
    if (adapter === null) throw new Error(`sparq webgpu: no WebGPU adapter found. ${NO_ADAPTER_HINT}`);
    const features = WANTED_FEATURES.filter((f) => adapter.features.has(f));
    const limits = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures: features as GPUFeatureName[],
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeWorkgroupSizeY: limits.maxComputeWorkgroupSizeY,
        maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      },
    });
    const info = adapter.info;
    return new GpuDevice(gpu, device, {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      backend: options.backend ?? PLATFORM_BACKEND[process.platform] ?? 'unknown',
      fallback: info.isFallbackAdapter ?? false,
      features,
      subgroupMinSize: features.includes('subgroups') ? (info.subgroupMinSize ?? 0) : 0,
      limits: {
        maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
        maxBufferSize: device.limits.maxBufferSize,
        maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
      },
    });
  }

  /** Throws the device's recorded failures, if any, and clears them. */
  check(): void {
    this.checkLost();
    if (this.errors.length > 0) {
      const messages = this.errors.splice(0);
      throw new Error(`sparq webgpu: the GPU reported ${messages.length} error(s): ${messages.join('; ')}`);
    }
  }

  /** Throws the loss error once the device is lost (other recorded errors stay for check()). */
  checkLost(): void {
    if (this.lostReason !== null) throw this.lossError();
  }

  /** Why the device was lost ('<reason>: <message>' from Dawn), or null while it works. */
  get lost(): string | null {
    return this.lostReason;
  }

  private lossError(): Error {
    return new Error(`sparq webgpu: the GPU device was lost (${this.lostReason}); create a new backend with webgpu()`);
  }

  /**
   * The error to report for `e`, an operation that failed on the GPU: the
   * loss error when the device was lost (a mapAsync or pipeline pending at
   * the loss rejects with an empty or unrelated message, and may do so just
   * before device.lost settles, so this waits LOSS_GRACE_MS for it), else
   * `e` as is, or named as `what` failing.
   */
  async failure(e: unknown, what?: string): Promise<Error> {
    await Promise.race([this.loss, new Promise((resolve) => setTimeout(resolve, LOSS_GRACE_MS))]);
    if (this.lostReason !== null) return this.lossError();
    if (what === undefined && e instanceof Error) return e;
    const message = e instanceof Error ? e.message || e.name : String(e);
    return new Error(`sparq webgpu: ${what} failed: ${message}`, { cause: e });
  }

  destroy(): void {
    this.device.destroy();
  }
}
