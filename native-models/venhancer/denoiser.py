"""VEnhancer v2 denoiser: the 3D UNet with its video ControlNet, re-implemented in plain PyTorch for ONNX export.

Public API (used by the exporter and the check command; keep stable):

    build_denoiser(config=None, *, device=None, dtype=None, empty=False) -> VEnhancerDenoiser
        config None = the released full-size model (dim 320, dim_mult 1-2-4-4, head_dim 64, 8 heads in the init
        temporal transformer, 2 res blocks, attention at scales 1, 1/2, 1/4, context 1024; 2,180 state-dict
        entries, 2,044,809,796 parameters). Otherwise a dict of constructor values, or a fixture's
        `fx["config"]` (its "effective_constructor_kwargs (both classes)" are read).
        device="meta" builds without allocating (key/shape checks); empty=True builds on meta and then
        allocates uninitialised storage on `device` (fast, for loading a checkpoint: fp16 full size = 4.1 GB).
    model(x, t=..., y=..., hint=..., mask_cond=..., s_cond=..., t_hint=...) -> v [b, 4, F, h, w]
        exactly the reference call (ControlledV2VUNet.forward). x [b,4,F,h,w] (already times c_in), t int64 [b],
        y [b,77,1024], hint [b,4,K,h,w] (noised key-frame latents), mask_cond int64 [b,F] (key index or -1),
        s_cond int64 [b], t_hint int64 [b]. Latent h = 2 (mod 2^D) and w = 0 (mod 2^D), D = len(dim_mult)-1.
    model.VideoControlNet(x, t, y, hint=..., t_hint=..., mask_cond=..., s_cond=...) -> list of residuals
        [(b F), C, h', w'], encoder order, middle last.
    model.state_dict() keys, order and shapes equal the released checkpoint's (`load_state_dict(strict=True)`,
        no prefix stripped; the checkpoint may wrap them in {"state_dict": ...}: see load_checkpoint_state).
    DenoiserOnnxWrapper(model): forward(x, t, context, hint, mask, t_hint, s_cond) -> v, the CONTRACT-V2 names.
    export_denoiser_onnx(model, path, *, fp16, external_data) -> dict: opset 17, dynamic F, K, h, w.
        fp16=True: float16 graph inputs x/context/hint and output v, weights stored as float16 initializers, each
        Cast to float32 in the graph, so the arithmetic is float32 (torch 1.13 cannot trace float16 CPU kernels and
        onnxruntime's x86 CPU provider has no float16 Conv); fp16=False: float32 everywhere. The model passed in
        must be float32. (VEnhancerDenoiser itself also runs in float16 on a GPU: norms and softmax then compute
        in float32, as autocast does for the reference.)
        external_data=True writes the weights to `<path>.data` beside the graph (required over 2 GB).

Semantics (VENHANCER-REFERENCE.md section 5): the ControlNet adds its hint features (its own conv applied to the
K key-frame latents, gathered by mask) after its first conv, and adds the t_hint and s_cond embeddings to the
time embedding, all only at frames whose mask is >= 0; the UNet adds the ControlNet residuals to its middle
output and to every skip. The gather and the masks are tensor ops (index_select / where), never Python
branches on values, so the traced graph holds for any F, K, h, w.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from .unet_blocks import (
    Downsample,
    GroupNorm32,
    ResBlock,
    SpatialTransformer,
    TemporalTransformer,
    Upsample,
    run_block,
    timestep_sinusoid,
)

FULL_SIZE_CONFIG: dict[str, Any] = {
    "in_dim": 4,
    "dim": 320,
    "context_dim": 1024,
    "out_dim": 4,
    "dim_mult": [1, 2, 4, 4],
    "num_heads": 8,
    "head_dim": 64,
    "num_res_blocks": 2,
    "attn_scales": [1.0, 0.5, 0.25],
}

_CONFIG_KEYS = tuple(FULL_SIZE_CONFIG)
_FIXTURE_KWARGS = "effective_constructor_kwargs (both classes)"


def resolve_config(config: dict | None = None) -> dict[str, Any]:
    """Full-size values overridden by `config` (plain constructor values, or a fixture's config dict), checked
    against the constraints under which the reference itself runs (VENHANCER-REFERENCE.md section 3)."""
    cfg = dict(FULL_SIZE_CONFIG)
    if config is not None:
        source = config.get(_FIXTURE_KWARGS, config)
        for key in _CONFIG_KEYS:
            if key in source:
                cfg[key] = source[key]
    cfg["dim_mult"] = [int(m) for m in cfg["dim_mult"]]
    cfg["attn_scales"] = [float(s) for s in cfg["attn_scales"]]
    dim, head_dim = int(cfg["dim"]), int(cfg["head_dim"])
    problems = []
    if cfg["dim_mult"][-1] != 4:
        problems.append("dim_mult[-1] must be 4 (the ControlNet's middle zero conv has 4*dim channels)")
    if int(cfg["context_dim"]) != 1024:
        problems.append("context_dim must be 1024 (the reference's decoder hard-codes it)")
    if int(cfg["num_res_blocks"]) < 1:
        problems.append("num_res_blocks must be >= 1")
    for c in {dim * m for m in [1] + cfg["dim_mult"]}:
        if c % 32:
            problems.append(f"channel count {c} is not divisible by 32 (GroupNorm groups)")
        if c % head_dim:
            problems.append(f"channel count {c} is not a multiple of head_dim {head_dim}")
    if dim % 32 or (int(cfg["num_heads"]) * head_dim) % 32:
        problems.append("dim and num_heads*head_dim must be multiples of 32")
    if problems:
        raise ValueError("denoiser config not runnable: " + "; ".join(problems))
    return cfg


def _build_input_blocks(cfg: dict, fk: dict) -> tuple[nn.ModuleList, list[int], float]:
    """input_blocks: conv + temporal transformer, then per level num_res_blocks x [ResBlock (+ spatial and temporal
    transformer where the scale is in attn_scales)] and a Downsample after every level but the last.
    Returns the blocks, the channel count of every block's output (the skips), and the final scale."""
    dim, head_dim = cfg["dim"], cfg["head_dim"]
    embed_dim = 4 * dim
    enc_dims = [dim * m for m in [1] + cfg["dim_mult"]]
    blocks = nn.ModuleList()
    blocks.append(nn.ModuleList([
        nn.Conv2d(cfg["in_dim"], dim, 3, padding=1, **fk),
        TemporalTransformer(dim, cfg["num_heads"], head_dim, **fk),
    ]))
    skips = [dim]
    scale = 1.0
    levels = len(cfg["dim_mult"])
    for level, (cin, cout) in enumerate(zip(enc_dims[:-1], enc_dims[1:])):
        for j in range(cfg["num_res_blocks"]):
            block = nn.ModuleList([ResBlock(cin, embed_dim, cout, **fk)])
            if scale in cfg["attn_scales"]:
                block.append(SpatialTransformer(cout, cout // head_dim, head_dim, cfg["context_dim"], **fk))
                block.append(TemporalTransformer(cout, cout // head_dim, head_dim, **fk))
            cin = cout
            blocks.append(block)
            skips.append(cout)
        if level != levels - 1:
            blocks.append(Downsample(cout, **fk))
            skips.append(cout)
            scale /= 2.0
    return blocks, skips, scale


def _build_middle_block(cfg: dict, fk: dict) -> nn.ModuleList:
    dim, head_dim = cfg["dim"], cfg["head_dim"]
    c = dim * cfg["dim_mult"][-1]
    return nn.ModuleList([
        ResBlock(c, 4 * dim, c, **fk),
        SpatialTransformer(c, c // head_dim, head_dim, cfg["context_dim"], **fk),
        TemporalTransformer(c, c // head_dim, head_dim, **fk),
        ResBlock(c, 4 * dim, c, **fk),
    ])


def _time_embed(dim: int, fk: dict) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, 4 * dim, **fk), nn.SiLU(), nn.Linear(4 * dim, 4 * dim, **fk))


def _per_frame(emb: torch.Tensor, frames) -> torch.Tensor:
    """[b, d] -> [(b f), d], each row repeated for the frames of its video (repeat_interleave)."""
    return emb.unsqueeze(1).expand(-1, frames, -1).reshape(-1, emb.shape[-1])


class VideoControlNet(nn.Module):
    """Copy of the UNet's encoder + middle fed with the same x, conditioned on the noised key-frame latents."""

    def __init__(self, cfg: dict, *, device=None, dtype=None):
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        dim = cfg["dim"]
        self.dim = dim
        embed_dim = 4 * dim
        self.time_embed = _time_embed(dim, fk)
        self.hint_time_zero_linear = nn.Linear(embed_dim, embed_dim, **fk)
        self.scale_cond = _time_embed(dim, fk)
        self.input_blocks, skips, _ = _build_input_blocks(cfg, fk)
        self.zero_convs = nn.ModuleList([nn.Sequential(nn.Conv2d(c, c, 1, **fk)) for c in skips])
        self.middle_block = _build_middle_block(cfg, fk)
        self.middle_block_out = nn.Sequential(nn.Conv2d(embed_dim, embed_dim, 1, **fk))
        # The reference hard-codes 320 output channels here, which equals dim at full size; the hint features
        # are added to the dim-channel output of the first conv, so dim is the only size that runs.
        self.input_hint_block = nn.Conv2d(4, dim, 3, padding=1, **fk)

    def _embed(self, t: torch.Tensor) -> torch.Tensor:
        return timestep_sinusoid(t, self.dim).to(self.time_embed[0].weight.dtype)

    def forward(self, x, t, y, s_cond=None, hint=None, t_hint=None, mask_cond=None):
        batch, _, frames, height, width = x.shape
        dtype = self.time_embed[0].weight.dtype
        x = x.to(dtype)
        key = None if mask_cond is None else (mask_cond >= 0)  # [b, F]

        emb = _per_frame(self.time_embed(self._embed(t)), frames).reshape(batch, frames, -1)  # [b, F, d]
        for extra in (
            None if t_hint is None else self.hint_time_zero_linear(self.time_embed(self._embed(t_hint))),
            None if s_cond is None else self.scale_cond(self._embed(s_cond)),
        ):
            if extra is None:
                continue
            summed = emb + extra.unsqueeze(1)
            emb = summed if key is None else torch.where(key.unsqueeze(-1), summed, emb)
        emb = emb.reshape(batch * frames, -1)

        hint_add = None
        if hint is not None and mask_cond is not None:
            n_keys = hint.shape[2]
            features = self.input_hint_block(
                hint.to(dtype).transpose(1, 2).reshape(-1, hint.shape[1], hint.shape[3], hint.shape[4])
            )  # [(b K), dim, h, w]
            # Global key index -> row of `features`; inserted frames (-1) read row 0 of their video and are
            # masked out below, so the graph needs no value-dependent branch.
            offsets = torch.arange(batch, device=mask_cond.device).unsqueeze(1) * n_keys
            rows = (mask_cond.clamp(min=0) + offsets).reshape(-1)
            gathered = features.index_select(0, rows)  # [(b F), dim, h, w]
            hint_add = (key.reshape(-1, 1, 1, 1), gathered)

        h = x.transpose(1, 2).reshape(-1, x.shape[1], height, width)
        residuals = []
        for index, (block, zero_conv) in enumerate(zip(self.input_blocks, self.zero_convs)):
            if index == 0 and hint_add is not None:
                h = block[0](h)
                h = torch.where(hint_add[0], h + hint_add[1], h)
                for child in list(block)[1:]:
                    h = run_block(child, h, emb, y.to(dtype), batch)
            else:
                h = run_block(block, h, emb, y.to(dtype), batch)
            residuals.append(zero_conv(h))
        h = run_block(self.middle_block, h, emb, y.to(dtype), batch)
        residuals.append(self.middle_block_out(h))
        return residuals


class VEnhancerDenoiser(nn.Module):
    """ControlledV2VUNet: the video UNet whose skips and middle output receive the VideoControlNet's residuals."""

    def __init__(self, config: dict | None = None, *, device=None, dtype=None):
        super().__init__()
        cfg = resolve_config(config)
        self.config = cfg
        fk = {"device": device, "dtype": dtype}
        dim, head_dim = cfg["dim"], cfg["head_dim"]
        embed_dim = 4 * dim
        self.dim = dim
        self.time_embed = _time_embed(dim, fk)
        self.input_blocks, skips, scale = _build_input_blocks(cfg, fk)
        self.middle_block = _build_middle_block(cfg, fk)

        dec_dims = [dim * m for m in [cfg["dim_mult"][-1]] + cfg["dim_mult"][::-1]]
        levels = len(cfg["dim_mult"])
        self.output_blocks = nn.ModuleList()
        for level, (cin, cout) in enumerate(zip(dec_dims[:-1], dec_dims[1:])):
            for j in range(cfg["num_res_blocks"] + 1):
                block = nn.ModuleList([ResBlock(cin + skips.pop(), embed_dim, cout, **fk)])
                if scale in cfg["attn_scales"]:
                    block.append(SpatialTransformer(cout, cout // head_dim, head_dim, cfg["context_dim"], **fk))
                    block.append(TemporalTransformer(cout, cout // head_dim, head_dim, **fk))
                cin = cout
                if level != levels - 1 and j == cfg["num_res_blocks"]:
                    block.append(Upsample(cout, **fk))
                    scale *= 2.0
                self.output_blocks.append(block)
        self.out = nn.Sequential(
            GroupNorm32(32, cout, **fk), nn.SiLU(), nn.Conv2d(cout, cfg["out_dim"], 3, padding=1, **fk)
        )
        self.VideoControlNet = VideoControlNet(cfg, **fk)

    def forward(self, x, t, y, hint=None, t_hint=None, s_cond=None, mask_cond=None):
        batch, channels, frames, height, width = x.shape
        dtype = self.time_embed[0].weight.dtype
        control = self.VideoControlNet(x, t, y, hint=hint, t_hint=t_hint, mask_cond=mask_cond, s_cond=s_cond)

        emb = _per_frame(self.time_embed(timestep_sinusoid(t, self.dim).to(dtype)), frames)
        context = y.to(dtype)
        h = x.to(dtype).transpose(1, 2).reshape(-1, channels, height, width)
        skips = []
        for block in self.input_blocks:
            h = run_block(block, h, emb, context, batch)
            skips.append(h)
        h = run_block(self.middle_block, h, emb, context, batch)
        h = control.pop() + h
        for block in self.output_blocks:
            h = torch.cat([h, skips.pop() + control.pop()], dim=1)
            h = run_block(block, h, emb, context, batch)
        h = self.out(h)
        return h.reshape(batch, frames, h.shape[1], height, width).transpose(1, 2)


def build_denoiser(config: dict | None = None, *, device=None, dtype=None, empty: bool = False) -> VEnhancerDenoiser:
    """Build the denoiser in eval mode. See the module docstring."""
    if empty:
        model = VEnhancerDenoiser(config, device="meta", dtype=dtype)
        model = model.to_empty(device=device or "cpu")
    else:
        model = VEnhancerDenoiser(config, device=device, dtype=dtype)
    return model.eval()


def load_checkpoint_state(path: str) -> dict:
    """The released checkpoint's state dict (unwrapping {"state_dict": ...} as the reference does)."""
    state = torch.load(path, map_location="cpu")
    return state.get("state_dict", state)


from .denoiser_onnx import DenoiserOnnxWrapper, export_denoiser_onnx  # noqa: E402  (public API, see top)
