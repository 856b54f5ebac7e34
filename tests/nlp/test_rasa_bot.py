"""kefu's NLU components inside real Rasa: `rasa train` a tiny bilingual bot, serve it with
`rasa run --enable-api`, and query `/model/parse`, the REST channel and the tracker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.nlp.conftest import SENTIMENT_DATA, TINY_BOT

RASA = Path(sys.executable).with_name("rasa")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    bot = tmp_path_factory.mktemp("tiny_bot")
    shutil.copytree(TINY_BOT, bot, dirs_exist_ok=True)
    config = (bot / "config.yml").read_text(encoding="utf-8")
    (bot / "config.yml").write_text(
        config.replace("SENTIMENT_DATA", str(SENTIMENT_DATA)), encoding="utf-8"
    )
    env = {**os.environ, "KEFU_VAR_DIR": str(bot / "var"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    train = subprocess.run(
        [str(RASA), "train", "--config", "config.yml", "--domain", "domain.yml",
         "--data", "data", "--out", "models", "--fixed-model-name", "tiny"],
        cwd=bot, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert (bot / "models" / "tiny.tar.gz").is_file()

    port = _free_port()
    log = (bot / "server.log").open("w")
    process = subprocess.Popen(
        [str(RASA), "run", "--enable-api", "-m", "models/tiny.tar.gz", "--port", str(port),
         "--credentials", "credentials.yml", "-i", "127.0.0.1"],
        cwd=bot, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(f"{url}/status", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("rasa run did not start:\n" + (bot / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _parse(url: str, text: str) -> dict:
    response = requests.post(f"{url}/model/parse", json={"text": text}, timeout=30)
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize(
    ("text", "intent", "sentiment"),
    [
        ("请帮我查一下订单KF10000123到哪了", "order_status", "neutral"),
        ("where is my order, it hasn't arrived yet", "order_status", None),
        ("太感谢了，你们的服务真好", "thanks", "positive"),
        ("东西用一天就坏了，质量太差了，我要投诉", "complain", "negative"),
        ("this is awful, your product broke", "complain", "negative"),
        ("你好，在吗", "greet", None),
    ],
)
def test_model_parse_gives_intent_and_sentiment(server, text, intent, sentiment):
    result = _parse(server, text)
    assert result["intent"]["name"] == intent
    assert result["intent_ranking"][0] == result["intent"]
    assert set(result["sentiment"]) == {"label", "confidence"}
    assert result["sentiment"]["label"] in ("positive", "negative", "neutral")
    assert 0 <= result["sentiment"]["confidence"] <= 1
    if sentiment:
        assert result["sentiment"]["label"] == sentiment
    entity = [e for e in result["entities"] if e["entity"] == "sentiment"]
    assert [e["value"] for e in entity] == [result["sentiment"]["label"]]
    # tokens come from KefuTokenizer: offsets into the text, no whitespace tokens
    assert all(text[s:e].strip() == text[s:e] for s, e in result["text_tokens"])


def test_fallback_classifier_works_after_the_naive_bayes_component(server):
    result = _parse(server, "zzq xkcd plorp")
    assert result["intent"]["name"] == "nlu_fallback"


def test_sentiment_reaches_the_tracker_and_its_slot(server):
    sender = f"nlp-test-{os.getpid()}"
    replies = requests.post(
        f"{server}/webhooks/rest/webhook",
        json={"sender": sender, "message": "太差了，东西坏了，我要投诉"},
        timeout=30,
    ).json()
    assert [r.get("text") for r in replies] == ["sorry"]
    tracker = requests.get(f"{server}/conversations/{sender}/tracker", timeout=30).json()
    assert tracker["latest_message"]["sentiment"]["label"] == "negative"
    assert tracker["slots"]["sentiment"] == "negative"
