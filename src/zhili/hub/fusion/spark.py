"""Splink on Spark: a local SparkSession, built lazily and reused by the whole process, and
one model run on it (the `spark` engine of `engine.run_model`).

The session is `local[2]` with few shuffle partitions, a 2 GB driver, no UI, an in-memory
catalog, and Splink's similarity-function jar (shipped inside the splink package) on its
class path: nothing is downloaded, no packages, no Ivy. Data goes in and results come out
as Parquet files in a scratch directory (no Arrow/pandas conversions, no driver-side
collect of large results); results come back as polars.

Needs the `spark` extra (pyspark) and Java 17 (`java` on PATH or JAVA_HOME).
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from zhili.hub.fusion.dialects import recipe_settings, settings_for
from zhili.hub.fusion.models import EntityModel

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from splink import Linker

log = logging.getLogger(__name__)

MASTER = "local[2]"
SHUFFLE_PARTITIONS = 4
DRIVER_MEMORY = "2g"
# Splink's intermediate tables are checkpointed (materialized, lineage cut) in the run's
# scratch directory: with "persist" the iterative clustering re-plans an ever longer lineage
# and a 6,000-record run took 45 s instead of 6.
BREAK_LINEAGE = "checkpoint"
# The JVM's C1 compiler only: short runs (tests, small districts) start and warm up a little
# faster (measured 10-20 % on FEBRL4 here); long runs on big data want the full JIT.
QUICK_JIT = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = error
"""

_lock = threading.RLock()  # one session per process; one run at a time on it
_session: SparkSession | None = None
_scratch: Path | None = None
_options: dict[str, Any] = {"java_options": "", "conf": {}}


def configure(*, quick_jit: bool | None = None, conf: dict[str, str] | None = None) -> None:
    """Set how the next SparkSession starts (before the first run, or after `stop_spark`):
    `quick_jit` for short runs (see QUICK_JIT), `conf` for extra Spark settings."""
    with _lock:
        if _session is not None:
            raise RuntimeError("the SparkSession is running: stop_spark() first")
        if quick_jit is not None:
            _options["java_options"] = QUICK_JIT if quick_jit else ""
        if conf is not None:
            _options["conf"] = dict(conf)


def java_executable() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def java_major_version() -> int | None:
    java = java_executable()
    if java is None:
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        return None
    major = int(m[1])
    return int(m[2]) if major == 1 and m[2] else major  # "1.8" → 8


def unavailable_reason() -> str | None:
    """Why the Spark engine cannot run here, or None when it can."""
    try:
        found = importlib.util.find_spec("pyspark") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return "pyspark is not installed (pip install 'zhili[spark]')"
    if java_executable() is None:
        return "Java is not installed (Spark needs Java 17: no `java` on PATH or JAVA_HOME)"
    version = java_major_version()
    if version is None or version < 17:
        return f"Spark needs Java 17 or later; found {version or 'an unknown version'}"
    return None


def get_spark() -> SparkSession:
    """The process's local SparkSession, started on first use (a few seconds)."""
    global _session, _scratch
    with _lock:
        if _session is not None:
            return _session
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(f"the Spark engine is unavailable: {reason}")
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location

        jar = similarity_jar_location()
        if not Path(jar).exists():
            raise RuntimeError(f"Splink's similarity jar is missing: {jar}")
        _scratch = Path(tempfile.mkdtemp(prefix="zhili-spark-"))
        # Workers run this interpreter; no spark-submit arguments from the environment
        # (no --packages: nothing may be downloaded).
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        os.environ["PYSPARK_SUBMIT_ARGS"] = "pyspark-shell"
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        log4j = _scratch / "log4j2.properties"
        log4j.write_text(_LOG4J2, "utf-8")
        java_options = f"-Dlog4j2.configurationFile=file:{log4j} {_options['java_options']}"
        builder = (
            SparkSession.builder.master(MASTER)
            .appName("zhili-fusion")
            .config("spark.driver.memory", DRIVER_MEMORY)
            .config("spark.driver.extraJavaOptions", java_options.strip())
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", str(SHUFFLE_PARTITIONS))
            .config("spark.default.parallelism", str(SHUFFLE_PARTITIONS))
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.catalogImplementation", "in-memory")
            .config("spark.sql.warehouse.dir", str(_scratch / "warehouse"))
            .config("spark.jars", jar)  # Splink's UDFs (jaro_winkler …), a local file
            .config("spark.jars.packages", "")
        )
        for key, value in _options["conf"].items():
            builder = builder.config(key, value)
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
        atexit.register(stop_spark)
        log.info("Spark %s started (%s)", _session.version, MASTER)
        return _session


def stop_spark() -> None:
    """Stop the process's SparkSession (the next run starts a new one)."""
    global _session, _scratch
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None
        if _scratch is not None:
            shutil.rmtree(_scratch, ignore_errors=True)
            _scratch = None


def _to_spark_parquet(table: pl.DataFrame, path: Path) -> None:
    # Spark has no unsigned integers (polars' row index is UInt32): widen them.
    unsigned = {c: pl.Int64 for c, t in table.schema.items() if t.is_unsigned_integer()}
    table.cast(unsigned).write_parquet(path)  # type: ignore[arg-type]


def run_spark(
    model: EntityModel,
    tables: dict[str, pl.DataFrame],
    model_path: Path,
    *,
    retrain: bool,
    seed: int,
    train: Callable[[Linker, EntityModel, int], None],
) -> tuple[pl.DataFrame, int, bool]:
    """Run `model` on Spark: (clusters, predicted pairs, whether it trained)."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    with _lock:
        spark = get_spark()
        assert _scratch is not None
        run_dir = _scratch / f"run-{uuid.uuid4().hex[:8]}"
        run_dir.mkdir()
        spark.sparkContext.setCheckpointDir(str(run_dir / "checkpoints"))
        views: list[str] = []
        try:
            db = SparkAPI(spark_session=spark, break_lineage_method=BREAK_LINEAGE)
            frames = []
            for name, table in tables.items():
                path = run_dir / f"{name}.parquet"
                _to_spark_parquet(table, path)
                view = f"zhili_{name}_{run_dir.name[4:]}"
                views.append(view)
                frames.append(
                    db.register(
                        spark.read.parquet(str(path)),
                        dataset_display_name=name,
                        table_name=view,
                    )
                )
            trained = retrain or not model_path.exists()
            settings: str | dict[str, Any]
            if trained:
                settings = recipe_settings(model, "spark")
                linker = Linker(frames, settings, log_level="WARNING")
                train(linker, model, seed)
                linker.misc.save_model_to_json(str(model_path), overwrite=True)
            else:
                settings = settings_for(model, model_path, "spark")
                linker = Linker(frames, settings, log_level="WARNING")
            predictions = linker.inference.predict(
                threshold_match_probability=model.predict_threshold
            )
            clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
                predictions, model.cluster_threshold
            )
            columns = ["unique_id", "cluster_id"]
            if model.settings.link_type != "dedupe_only":
                columns.insert(0, "source_dataset")
            out = run_dir / "clusters"
            clustered.as_spark_dataframe().select(*columns).write.parquet(str(out))
            clusters = pl.read_parquet(out / "*.parquet")
            pairs = int(
                spark.sql(f"select count(*) from {predictions.physical_name}").collect()[0][0]
            )
        finally:
            _release(spark, views)
            shutil.rmtree(run_dir, ignore_errors=True)
    return clusters, pairs, trained


def _release(spark: SparkSession, views: list[str]) -> None:
    """Drop this run's tables and cached data so a long-lived session does not grow."""
    try:
        spark.catalog.clearCache()  # first: dropping a cached view uncaches it, slowly
        for table in spark.catalog.listTables():
            if table.isTemporary and (table.name.startswith("__splink__") or table.name in views):
                spark.catalog.dropTempView(table.name)
    except Exception:  # a failed cleanup must not hide the run's own error
        log.exception("could not release Spark tables")
