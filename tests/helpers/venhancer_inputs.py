"""Test inputs for the VEnhancer exporter, made at test time from the reference fixtures' tiny models, in the released
files' formats (run with /usr/bin/python3):

    venhancer_inputs.py inputs OUT              tiny.json, checkpoint.pt, vae/ (config.json + fp16 safetensors), clip.bin
    venhancer_inputs.py damage OUT KIND         truncated-checkpoint | wrong-checkpoint | other-vae | truncated-vae
    venhancer_inputs.py perturb FIXTURE OUT     a copy of a fixture with one reference output value moved by 1e-3
"""

import json
import os
import struct
import sys

import torch

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "venhancer")


def load(name):
    return torch.load(os.path.join(FIXTURES, name), map_location="cpu")


def write_safetensors(path, tensors):
    names = {torch.float16: "F16", torch.float32: "F32", torch.bfloat16: "BF16"}
    header, blobs, offset = {}, [], 0
    for key, tensor in tensors.items():
        t = tensor.contiguous()
        data = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[key] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def make_inputs(out):
    os.makedirs(os.path.join(out, "vae"), exist_ok=True)
    den = load("fixture-a.pt")
    vae = load("vae-fixture.pt")
    text = load("text-fixture.pt")
    vae_config = json.loads(vae["config_json"])
    text_config = json.loads(text["config_json"])
    with open(os.path.join(out, "tiny.json"), "w") as f:
        json.dump({"denoiser": den["config"], "vae": vae_config, "text": text_config}, f, default=str)
    torch.save(dict(den["state_dict"]), os.path.join(out, "checkpoint.pt"))
    with open(os.path.join(out, "vae", "config.json"), "w") as f:
        json.dump(dict(vae_config, _class_name="AutoencoderKLTemporalDecoder", _diffusers_version="0.24.0"), f)
    write_safetensors(os.path.join(out, "vae", "diffusion_pytorch_model.fp16.safetensors"), vae["state_dict_fp16"])
    clip = dict(text["state_dict_fp16"])
    clip["visual.proj"] = torch.zeros(8, 4, dtype=torch.float16)  # the image tower's entries are dropped on load
    clip["visual.conv1.weight"] = torch.zeros(8, 3, 2, 2, dtype=torch.float16)
    torch.save(clip, os.path.join(out, "clip.bin"))


def damage(out, kind):
    if kind == "truncated-checkpoint":
        path = os.path.join(out, "checkpoint.pt")
        os.truncate(path, os.path.getsize(path) // 2)
    elif kind == "wrong-checkpoint":
        # another model's weights under the checkpoint's name: the OpenCLIP file
        torch.save(torch.load(os.path.join(out, "clip.bin")), os.path.join(out, "checkpoint.pt"))
    elif kind == "other-vae":
        path = os.path.join(out, "vae", "config.json")
        with open(path) as f:
            config = json.load(f)
        config["_class_name"] = "AutoencoderKL"
        with open(path, "w") as f:
            json.dump(config, f)
    elif kind == "truncated-vae":
        path = os.path.join(out, "vae", "diffusion_pytorch_model.fp16.safetensors")
        os.truncate(path, os.path.getsize(path) - 1000)
    else:
        raise SystemExit(f"unknown damage {kind}")


def perturb(fixture, out):
    fx = torch.load(fixture, map_location="cpu")
    if "state_dict" in fx and "output" in fx:
        target = fx["output"]
    elif "outputs" in fx and "hidden_f32" in fx["outputs"]:
        target = fx["outputs"]["hidden_f32"]
    else:
        target = fx["outputs"]["dec_full_f32"]
    target.view(-1)[0] += 1e-3
    torch.save(fx, out)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "inputs":
        make_inputs(sys.argv[2])
    elif command == "damage":
        damage(sys.argv[2], sys.argv[3])
    elif command == "perturb":
        perturb(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
