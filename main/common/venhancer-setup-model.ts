// Adding the VEnhancer model from the app: the three released files a person downloads, and the state of the
// background job that exports them into a pack and installs it. Pure: shared by main and the renderer.
import { z } from 'zod';

export type VenhancerInputRole = 'checkpoint' | 'vae' | 'clip';

/** The released files the exporter takes. Sizes come from the parameter counts (float32 unless said). */
export const VENHANCER_DOWNLOADS: readonly {
  role: VenhancerInputRole;
  name: string;
  what: string;
  repository: string;
  url: string;
  size: string;
  kind: 'file' | 'folder';
}[] = [
  {
    role: 'checkpoint',
    name: 'venhancer_v2.pt',
    what: 'the VEnhancer UNet and video ControlNet (venhancer_paper.pt works too)',
    repository: 'jwhejwhe/VEnhancer',
    url: 'https://huggingface.co/jwhejwhe/VEnhancer/tree/main',
    size: '2.04 B parameters: about 8.2 GB (4.1 GB if saved in half precision)',
    kind: 'file',
  },
  {
    role: 'vae',
    name: 'vae',
    what: 'the Stable Video Diffusion VAE folder: config.json and diffusion_pytorch_model(.fp16).safetensors (or .bin)',
    repository: 'stabilityai/stable-video-diffusion-img2vid, subfolder vae',
    url: 'https://huggingface.co/stabilityai/stable-video-diffusion-img2vid/tree/main/vae',
    size: '98 M parameters: about 196 MB in fp16, 391 MB in float32',
    kind: 'folder',
  },
  {
    role: 'clip',
    name: 'open_clip_pytorch_model.bin',
    what: 'the OpenCLIP ViT-H/14 weights (only the text tower is used)',
    repository: 'laion/CLIP-ViT-H-14-laion2B-s32B-b79K',
    url: 'https://huggingface.co/laion/CLIP-ViT-H-14-laion2B-s32B-b79K/tree/main',
    size: '986 M parameters: about 3.9 GB',
    kind: 'file',
  },
];

export const VenhancerInputsSchema = z.object({
  checkpoint: z.string().min(1, 'Choose the VEnhancer checkpoint (venhancer_v2.pt).'),
  vae: z.string().min(1, 'Choose the SVD "vae" folder.'),
  clip: z.string().min(1, 'Choose open_clip_pytorch_model.bin.'),
});
export type VenhancerInputs = z.infer<typeof VenhancerInputsSchema>;

export const PythonStatusSchema = z.object({
  ok: z.boolean(),
  /** The interpreter that will run the export, when one has torch, onnx and numpy. */
  python: z.string().nullable(),
  /** What is missing and what to do, when not ok. */
  message: z.string().nullable(),
  /** The exact command that installs what is missing, when not ok. */
  installCommand: z.string().nullable(),
});
export type PythonStatus = z.infer<typeof PythonStatusSchema>;

export const VenhancerJobStateSchema = z.enum(['exporting', 'installing', 'done', 'failed', 'cancelled']);
export type VenhancerJobState = z.infer<typeof VenhancerJobStateSchema>;

export const VenhancerJobSchema = z.object({
  id: z.string(),
  state: VenhancerJobStateSchema,
  inputs: VenhancerInputsSchema,
  /** What runs now, e.g. "Denoiser (1/4): exporting to ONNX". */
  stage: z.string(),
  /** 0..1 over the whole export. */
  fraction: z.number().min(0).max(1),
  etaSec: z.number().nonnegative().nullable(),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  /** Notes the exporter printed (disk and memory it needs, warnings), last few. */
  notes: z.array(z.string()),
  /** Why it failed, with what to do, when state is 'failed'. */
  error: z.string().nullable(),
  /** The file the failure is about, when there is one. */
  errorFile: z.string().nullable(),
  /** The installed pack's id, when state is 'done'. */
  packId: z.string().nullable(),
});
export type VenhancerJob = z.infer<typeof VenhancerJobSchema>;

export function venhancerJobRunning(job: VenhancerJob | null | undefined): boolean {
  return job?.state === 'exporting' || job?.state === 'installing';
}

const GRAPH_LABELS: Record<string, string> = {
  denoiser: 'Denoiser',
  text_encoder: 'Text encoder',
  vae_encoder: 'VAE encoder',
  vae_decoder: 'VAE decoder',
  tokenizer: 'Tokenizer',
  manifest: 'Manifest',
};

/** How a stage of the exporter is named to people. */
export function venhancerGraphLabel(graph: string): string {
  return GRAPH_LABELS[graph] ?? graph;
}
