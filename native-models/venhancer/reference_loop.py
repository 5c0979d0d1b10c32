"""The VEnhancer inference loop re-stated in Python with the part-1 PyTorch modules: the reference method
(VENHANCER-REFERENCE.md section 4; VEnhancer's enhance_a_video, VideoToVideo.test, GaussianDiffusion.sample and
sample_dpmpp_2m_sde) written out step by step, for the engine's golden test. It takes every random draw from files
(the engine's seeded Philox noise, written by the test), so the two runs see the same noise; everything else is
computed here independently of the TypeScript engine.

    /usr/bin/python3 -m venhancer.reference_loop JOB.json      (cwd: native-models)

JOB.json: {"pack": dir (manifest.json: schedule, sampler, rules), "weights": weights.pt (golden_pack.py),
  "frames": raw rgb24 file of the N source frames, "width", "height", "scale", "k" (frames inserted per gap),
  "noise": noise level, "cfg", "sCond", "steps": "fast" | "normal" | int, "tokens": {"cond": [77 ids], "uncond": [77 ids]},
  "noiseDir": dir with posterior-F.f32, hint-KEY.f32, start-F.f32, step-I-F.f32 (float32, [C, h, w] each),
  "out": raw rgb24 output file}
Prints "RESULT {json}" with the output size and frame count.

What stands in for the reference, on purpose and in both implementations alike:
- seeded Gaussian noise for the Brownian tree of dpmpp_2m_sde (and for torch's global RNG elsewhere);
- noise level 0 gives a clean hint with t_hint 0 (the reference would index t = -1: a hint of pure noise);
- the chunk and decode-tile geometry comes from the pack manifest (the real pack carries the reference's values).
"""
from __future__ import annotations

import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from .denoiser import build_denoiser
from .text import build_text_tower
from .vae import build_vae


# ---------------------------------------------------------------------------------------------------------------
# Schedule (schedules_sdedit.py logsnr_cosine_interp), as a table over the integer timesteps.

def schedule_tables(spec):
    n = spec["trainTimesteps"]
    t = np.arange(n, dtype=np.float64) / (n - 1)
    t0 = math.atan(math.exp(-spec["logsnrMax"] / 2))
    t1 = math.atan(math.exp(-spec["logsnrMin"] / 2))
    logsnr = -2 * np.log(np.tan(t0 + t * (t1 - t0)))
    logsnr -= 2 * ((1 - t) * math.log(spec["shiftStart"]) + t * math.log(spec["shiftEnd"]))
    sigmas = np.sqrt(1 / (1 + np.exp(logsnr)))
    alphas = np.sqrt(1 - sigmas ** 2)
    return alphas, sigmas


def t_to_sigma(t, sigmas):
    """GaussianDiffusion._t_to_sigma: log of the VE sigma interpolated linearly between floor(t) and ceil(t)."""
    log_sigmas = np.log(np.sqrt(sigmas ** 2 / (1 - sigmas ** 2)))
    lo, hi = int(math.floor(t)), int(math.ceil(t))
    w = t - lo
    return math.exp((1 - w) * log_sigmas[lo] + w * log_sigmas[hi])


def sigma_to_t(sigma, sigmas):
    """GaussianDiffusion._sigma_to_t: the inverse interpolation."""
    log_sigmas = np.log(np.sqrt(sigmas ** 2 / (1 - sigmas ** 2)))
    log_sigma = math.log(sigma)
    dists = log_sigma - log_sigmas
    low = int(np.clip(np.cumsum(dists >= 0).argmax(), None, len(log_sigmas) - 2))
    lo_v, hi_v = log_sigmas[low], log_sigmas[low + 1]
    w = min(max((lo_v - log_sigma) / (lo_v - hi_v), 0.0), 1.0)
    return (1 - w) * low + w * (low + 1)


def sampler_grid(sampler, steps):
    """GaussianDiffusion.sample's timesteps ('trailing'), sigmas, the appended 0 and the discarded penultimate."""
    preset = sampler["presets"][steps] if isinstance(steps, str) else {"steps": steps}
    t_max = sampler["startTimestep"]
    if "timesteps" in preset:
        grid = list(preset["timesteps"])
    else:
        n = preset["steps"] + 1  # dpmpp_2m_sde discards the penultimate step
        grid = [min(t_max, max(0.0, t_max - i * (t_max + 1) / n)) for i in range(n)]
    return grid


# ---------------------------------------------------------------------------------------------------------------
# Resolution and padding (inference_utils.adjust_resolution, utils.pad_to_fit), with the pack's numbers.

def target_size(h, w, scale, rule):
    area = h * w * scale * scale
    if area < rule["areaMin"]:
        u = math.sqrt(rule["areaMin"] / (h * w))
    elif area > rule["areaMax"]:
        u = math.sqrt(rule["areaMax"] / (h * w))
    else:
        u = scale
    return int(u * h // 2 * 2), int(u * w // 2 * 2)


def pad_axis(size, rule):
    if size < rule["min"]:
        before = (rule["min"] - size) // 2
        return before, rule["min"] - size - before
    if size == rule["min"]:
        return 0, 0
    return 0, ((size + rule["addend"]) // rule["multiple"]) * rule["multiple"] + rule["offset"] - size


# ---------------------------------------------------------------------------------------------------------------
# Chunks (utils.make_chunks / sliding_windows_1d) and decode tiles.

def temporal_chunks(total, k, rule):
    if total <= rule["maxFrames"]:
        return [(0, total)]
    period = k + 1
    length = (rule["lengthBase"] // period) * period + 1
    overlap = min((rule["overlapBase"] // period) * period + 1, length - period)
    chunks, start = [], 0
    while True:
        if start + round(rule["stretch"] * length) >= total:
            chunks.append((start, total))
            return chunks
        chunks.append((start, start + length))
        start += length - overlap


def spans(size, tile, overlap):
    if size <= tile:
        return [(0, size)]
    out, start = [], 0
    while start + tile < size:
        out.append((start, start + tile))
        start += tile - overlap
    out.append((size - tile, size))
    return out


def gaussian_weights(length, var):
    m = (length - 1) / 2
    x = np.arange(length, dtype=np.float64)
    return np.exp(-((x - m) ** 2) / (2 * var * length * length))


def blend_time(previous, current, overlap):
    """x0 of consecutive chunks over their overlap: weight j / O for the newer chunk."""
    out = current.clone()
    for j in range(overlap):
        c = j / overlap
        out[:, :, j] = (1 - c) * previous[:, :, previous.shape[2] - overlap + j] + c * current[:, :, j]
    return out


# ---------------------------------------------------------------------------------------------------------------

def main(job_path):
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    with open(os.path.join(job["pack"], "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    weights = torch.load(job["weights"], map_location="cpu")
    denoiser = build_denoiser(weights["denoiser_config"])
    denoiser.load_state_dict(weights["denoiser"], strict=True)
    vae = build_vae(weights["vae_config"])
    vae.load_state_dict(weights["vae"], strict=True)
    text = build_text_tower(weights["text_config"])
    text.load_state_dict(weights["text"], strict=True)
    for module in (denoiser, vae, text):
        module.eval()
    noise_dir = job["noiseDir"]
    channels = manifest["latent"]["channels"]
    scaling = manifest["latent"]["scalingFactor"]

    def noise(name, shape):
        data = np.fromfile(os.path.join(noise_dir, name), dtype=np.float32)
        return torch.from_numpy(data.reshape(shape).astype(np.float32))

    with torch.no_grad():
        # 1. Frames: [-1, 1], bilinear resize (align_corners False), pad with the pack's value, repeat k + 1 times.
        width, height, k = job["width"], job["height"], job["k"]
        raw = np.fromfile(job["frames"], dtype=np.uint8).reshape(-1, height, width, 3)
        keys = raw.shape[0]
        video = torch.from_numpy(raw.astype(np.float32) / 255.0).permute(0, 3, 1, 2)
        video = (video - 0.5) / 0.5
        th, tw = target_size(height, width, job["scale"], manifest["resolution"])
        video = F.interpolate(video, size=(th, tw), mode="bilinear", align_corners=False)
        pad = manifest["resolution"]["pad"]
        top, bottom = pad_axis(th, pad["height"])
        left, right = pad_axis(tw, pad["width"])
        video = F.pad(video, (left, right, top, bottom), "constant", pad["value"])
        frames = keys + k * (keys - 1)
        index = [min(f // (k + 1), keys - 1) for f in range(frames)]
        mask = torch.tensor([[f // (k + 1) if f % (k + 1) == 0 else -1 for f in range(frames)]], dtype=torch.int64)

        # 2. VAE encode frame by frame, a posterior SAMPLE times the scaling factor.
        latents = []
        for f in range(frames):
            moments = vae.encode_moments(video[index[f]:index[f] + 1])
            mean, logvar = moments[:, :channels], moments[:, channels:]
            eps = noise("posterior-%d.f32" % f, mean.shape[1:]).unsqueeze(0)
            latents.append((mean + torch.exp(0.5 * logvar) * eps) * scaling)
        latent = torch.cat(latents).permute(1, 0, 2, 3).unsqueeze(0)  # [1, C, F, h, w]
        _, _, _, lh, lw = latent.shape

        # 3. Hint: the key frames' latents, noised once at t_hint.
        alphas, sigmas = schedule_tables(manifest["schedule"])
        level = job["noise"]
        t_hint = 0 if level == 0 else level - 1
        hint = latent[:, :, ::k + 1].clone()
        if level != 0:
            eps = torch.stack([noise("hint-%d.f32" % i, (channels, lh, lw)) for i in range(keys)], dim=1).unsqueeze(0)
            hint = float(alphas[t_hint]) * hint + float(sigmas[t_hint]) * eps

        # 4. Text: cond = prompt + suffix, uncond = negative prompt (ids from the engine's tokenizer).
        cond = text(torch.tensor([job["tokens"]["cond"]], dtype=torch.int64))
        uncond = text(torch.tensor([job["tokens"]["uncond"]], dtype=torch.int64))

        # 5. SDEdit start and the solver's sigmas.
        sampler = manifest["sampler"]
        start = sampler["startTimestep"]
        eps = torch.stack([noise("start-%d.f32" % f, (channels, lh, lw)) for f in range(frames)], dim=1).unsqueeze(0)
        noised = float(alphas[start]) * latent + float(sigmas[start]) * eps
        grid = sampler_grid(sampler, job["steps"])
        ve = [t_to_sigma(t, sigmas) for t in grid] + [0.0]
        ve = ve[:-2] + ve[-1:]  # discard_penultimate_step
        x = noised * ve[0]
        chunks = temporal_chunks(frames, k, manifest["temporalChunk"])
        cfg, rescale = job["cfg"], sampler["cfg"]["rescale"]
        s_cond = torch.tensor([int(job["sCond"])], dtype=torch.int64)
        t_hint_t = torch.tensor([t_hint], dtype=torch.int64)

        def model_fn(xt, sigma):
            t = int(torch.tensor(sigma_to_t(sigma, sigmas)).round().item())
            a, s = float(alphas[t]), float(sigmas[t])
            x0 = torch.zeros_like(xt)
            previous = None
            for c, (cs, ce) in enumerate(chunks):
                kwargs = dict(t=torch.tensor([t]), hint=hint, mask_cond=mask[:, cs:ce], s_cond=s_cond, t_hint=t_hint_t)
                chunk = xt[:, :, cs:ce]
                y_out = denoiser(chunk, y=cond, **kwargs)
                if cfg == 1:
                    out = y_out
                else:
                    u_out = denoiser(chunk, y=uncond, **kwargs)
                    out = u_out + cfg * (y_out - u_out)
                    ratio = y_out.flatten(1).std(dim=1) / (out.flatten(1).std(dim=1) + 1e-12)
                    out = out * (rescale * ratio + (1 - rescale))
                chunk_x0 = a * chunk - s * out
                if previous is not None:
                    overlap = previous[1] - cs
                    chunk_x0 = blend_time(previous[0], chunk_x0, overlap)
                x0[:, :, cs:ce] = chunk_x0
                previous = (chunk_x0, ce)
            return x0

        # 6. DPM-Solver++(2M) SDE, midpoint, eta = sampler eta.
        eta = sampler.get("eta", 1)
        old, h_last = None, None
        for i in range(len(ve) - 1):
            c_in = 1 / math.sqrt(ve[i] ** 2 + 1)
            denoised = model_fn(x * c_in, ve[i])
            if ve[i + 1] == 0:
                x = denoised
            else:
                h = math.log(ve[i] / ve[i + 1])
                eta_h = eta * h
                x = ve[i + 1] / ve[i] * math.exp(-eta_h) * x + (-math.expm1(-h - eta_h)) * denoised
                if old is not None:
                    r = h_last / h
                    x = x + 0.5 * (-math.expm1(-h - eta_h)) * (1 / r) * (denoised - old)
                z = torch.stack([noise("step-%d-%d.f32" % (i, f), (channels, lh, lw)) for f in range(frames)],
                                dim=1).unsqueeze(0)
                x = x + z * ve[i + 1] * math.sqrt(-math.expm1(-2 * eta_h))
            old, h_last = denoised, (math.log(ve[i] / ve[i + 1]) if ve[i + 1] else h_last)

        # 7. Decode: z / scaling, temporal chunks (linear cross-fade) x spatial tiles (Gaussian weights).
        rule = manifest["decode"]
        down = manifest["latent"]["downscale"]
        z = x[0].permute(1, 0, 2, 3) / scaling  # [F, C, h, w]
        rows = spans(lh, rule["tileH"], rule["overlapH"])
        cols = spans(lw, rule["tileW"], rule["overlapW"])
        weight_sum = torch.zeros(lh * down, lw * down, dtype=torch.float64)
        tile_weights = []
        for r0, r1 in rows:
            for c0, c1 in cols:
                wy = gaussian_weights((r1 - r0) * down, rule["gaussianVar"])
                wx = gaussian_weights((c1 - c0) * down, rule["gaussianVar"])
                w = torch.from_numpy(np.outer(wy, wx))
                weight_sum[r0 * down:r1 * down, c0 * down:c1 * down] += w
                tile_weights.append(((r0, r1, c0, c1), w))
        time_spans = [(0, frames)] if rule["temporalChunk"] >= frames else spans(
            frames, rule["temporalChunk"], min(rule["temporalOverlap"], rule["temporalChunk"] - 1))
        images = torch.zeros(frames, 3, lh * down, lw * down)
        previous = None
        for s, e in time_spans:
            decoded = torch.zeros(e - s, 3, lh * down, lw * down, dtype=torch.float64)
            for (r0, r1, c0, c1), w in tile_weights:
                tile = vae.decoder(z[s:e, :, r0:r1, c0:c1].contiguous(), 1).double()
                decoded[:, :, r0 * down:r1 * down, c0 * down:c1 * down] += tile * (w / weight_sum[
                    r0 * down:r1 * down, c0 * down:c1 * down])
            decoded = decoded.float()
            if previous is not None:
                overlap = previous - s
                for j in range(overlap):
                    c = j / overlap
                    decoded[j] = (1 - c) * images[s + j] + c * decoded[j]
            images[s:e] = decoded
            previous = e

        # 8. Crop the padding; rgb24 as the engine writes it (round half up, clamp).
        images = images[:, :, top:top + th, left:left + tw]
        values = torch.floor((images + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8)
        values.permute(0, 2, 3, 1).contiguous().numpy().tofile(job["out"])
        print("RESULT " + json.dumps({"frames": frames, "width": tw, "height": th, "chunks": chunks,
                                      "timesteps": [int(round(sigma_to_t(s, sigmas))) for s in ve[:-1]]}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python3 -m venhancer.reference_loop JOB.json", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
