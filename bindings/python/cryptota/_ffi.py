"""Every C signature the binding uses, in one place (STYLE.md R12).

``SIGNATURES`` lists ``(name, restype, argtypes)`` for every ``CT_API`` function of
``include/cryptota/*.h``; ``tests/test_ffi.py`` parses the headers and checks names, argument
counts and basic types against this table. ``bind(lib)`` applies the table to a loaded library.
A function the loaded library does not export (an older build) becomes a stub that raises
:class:`cryptota.UnsupportedError` when called, so importing never fails for that reason.
"""

from __future__ import annotations

import ctypes
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_int32, c_int64,
                    c_size_t, c_uint32, c_void_p)
from typing import Any, List, Tuple

# Basic types (the test maps each to a category: i32 i64 u32 u64 f64 size str ptr void).
STATUS = c_int32            # ct_status
I32 = c_int32
I64 = c_int64
U32 = c_uint32
U64 = ctypes.c_uint64
F64 = c_double
SIZE = c_size_t
STR = c_char_p              # const char * (in: bytes; out: bytes or None)
P = c_void_p                # handles, void *, struct pointers, const double * results
PP = POINTER(c_void_p)      # T ** (out handles, arrays of column pointers, char ** to ct_free)
PI32 = POINTER(c_int32)
PI64 = POINTER(c_int64)
PF64 = POINTER(c_double)
PSIZE = POINTER(c_size_t)

# Callback types (STYLE.md R7: user data first).
LOG_FN = CFUNCTYPE(None, c_void_p, c_int32, c_char_p)
PROGRESS_FN = CFUNCTYPE(c_int32, c_void_p, c_int64, c_int64, c_double, c_double)
FETCH_PROGRESS_FN = CFUNCTYPE(c_int32, c_void_p, c_int64, c_int64)
BROKER_FN = CFUNCTYPE(c_int32, c_void_p, c_int32, c_int64, c_int32, c_double, c_double, c_double)
CB_FN = CFUNCTYPE(c_int32, c_void_p, c_void_p)            # on_start / on_bar / on_fill / on_finish
CREATE_FN = CFUNCTYPE(c_int32, c_void_p, POINTER(c_double), c_int32, POINTER(c_void_p),
                      c_void_p, c_int32)
DESTROY_FN = CFUNCTYPE(None, c_void_p)


class ParamDef(Structure):
    """struct ct_param_def (strategy.h)."""

    _fields_ = [("struct_size", c_uint32), ("kind", c_int32), ("name", c_char_p),
                ("def_", c_double), ("min", c_double), ("max", c_double), ("step", c_double),
                ("description", c_char_p)]


class StrategyVtable(Structure):
    """struct ct_strategy_vtable (strategy.h), version 1."""

    _fields_ = [("struct_size", c_uint32), ("flags", c_uint32), ("name", c_char_p),
                ("description", c_char_p), ("params", POINTER(ParamDef)), ("n_params", c_int32),
                ("reserved", c_int32), ("class_user", c_void_p), ("create", CREATE_FN),
                ("on_start", CB_FN), ("on_bar", CB_FN), ("on_fill", CB_FN), ("on_finish", CB_FN),
                ("destroy", DESTROY_FN)]


class Trade(Structure):
    """struct ct_trade (result.h)."""

    _fields_ = [("struct_size", c_uint32), ("side", c_int32), ("entry_time_ms", c_int64),
                ("exit_time_ms", c_int64), ("entry_bar", c_int64), ("exit_bar", c_int64),
                ("bars_held", c_int64), ("qty", c_double), ("entry_price", c_double),
                ("exit_price", c_double), ("entry_commission", c_double),
                ("exit_commission", c_double), ("pnl_gross", c_double), ("pnl_net", c_double),
                ("ret", c_double), ("mae", c_double), ("mfe", c_double)]


SIGNATURES: List[Tuple[str, Any, List[Any]]] = [
    # alloc.h
    ("ct_set_allocator", STATUS, [P]),
    ("ct_free", None, [P]),
    ("ct_alloc_live_count", I64, []),
    ("ct_global_init", STATUS, []),
    ("ct_global_cleanup", None, []),
    # engine.h
    ("ct_engine_create", STATUS, [PP]),
    ("ct_engine_destroy", None, [P]),
    ("ct_engine_errmsg", STR, [P]),
    ("ct_engine_clone", STATUS, [P, PP]),
    ("ct_engine_set_f64", STATUS, [P, I32, F64]),
    ("ct_engine_set_i64", STATUS, [P, I32, I64]),
    ("ct_engine_get_f64", STATUS, [P, I32, PF64]),
    ("ct_engine_param_bounds", STATUS, [I32, PF64, PF64]),
    ("ct_engine_param_name", STR, [I32]),
    ("ct_engine_configure_json", STATUS, [P, STR]),
    ("ct_engine_config_json", STATUS, [P, PP]),
    ("ct_engine_set_funding", STATUS, [P, PI64, PF64, I64]),
    ("ct_engine_set_indicator_cache", STATUS, [P, P]),
    ("ct_engine_run", STATUS, [P, P, P, PP]),
    ("ct_indicator_cache_create", STATUS, [PP]),
    ("ct_indicator_cache_destroy", None, [P]),
    ("ct_indicator_cache_size", I64, [P]),
    ("ct_session_create", STATUS, [P, P, STR, I64, PP]),
    ("ct_session_destroy", None, [P]),
    ("ct_session_errmsg", STR, [P]),
    ("ct_session_set_broker", STATUS, [P, BROKER_FN, P]),
    ("ct_session_push", STATUS, [P, I64, F64, F64, F64, F64, F64]),
    ("ct_session_report_fill", STATUS, [P, I64, F64, F64, F64]),
    ("ct_session_len", I64, [P]),
    ("ct_session_position", F64, [P]),
    ("ct_session_cash", F64, [P]),
    ("ct_session_equity", F64, [P]),
    ("ct_session_result", STATUS, [P, PP]),
    # feed.h
    ("ct_interval_parse", STATUS, [STR, PI64]),
    ("ct_interval_name", STR, [I64]),
    ("ct_feed_create", STATUS, [STR, I64, PP]),
    ("ct_feed_from_arrays", STATUS, [STR, I64, PI64, PF64, PF64, PF64, PF64, PF64, I64, U32, PP]),
    ("ct_feed_append", STATUS, [P, PI64, PF64, PF64, PF64, PF64, PF64, I64]),
    ("ct_feed_destroy", None, [P]),
    ("ct_feed_clone", STATUS, [P, PP]),
    ("ct_feed_len", I64, [P]),
    ("ct_feed_symbol", STR, [P]),
    ("ct_feed_interval_ms", I64, [P]),
    ("ct_feed_set_symbol", STATUS, [P, STR]),
    ("ct_feed_time", P, [P]),
    ("ct_feed_open", P, [P]),
    ("ct_feed_high", P, [P]),
    ("ct_feed_low", P, [P]),
    ("ct_feed_close", P, [P]),
    ("ct_feed_volume", P, [P]),
    ("ct_feed_column", P, [P, I32]),
    ("ct_feed_filled", P, [P]),
    ("ct_feed_lower_bound", I64, [P, I64]),
    ("ct_feed_errmsg", STR, [P]),
    ("ct_feed_missing_bars", I64, [P]),
    ("ct_feed_gaps", STATUS, [P, PI64, PI64, PI64, I64, PI64]),
    ("ct_feed_apply_gaps", STATUS, [P, I32, PP]),
    ("ct_feed_resample", STATUS, [P, I64, U32, PP]),
    ("ct_feed_slice", STATUS, [P, I64, I64, PP]),
    ("ct_feed_load", STATUS, [STR, I32, PP]),
    ("ct_feed_parse_csv", STATUS, [STR, SIZE, STR, I64, I32, PP]),
    ("ct_feed_parse_ctz", STATUS, [P, SIZE, PP]),
    ("ct_feed_save", STATUS, [P, STR]),
    # fetch.h
    ("ct_fetcher_create", STATUS, [PP]),
    ("ct_fetcher_destroy", None, [P]),
    ("ct_fetcher_errmsg", STR, [P]),
    ("ct_fetcher_set_i64", STATUS, [P, I32, I64]),
    ("ct_fetcher_set_str", STATUS, [P, I32, STR]),
    ("ct_fetcher_get_i64", STATUS, [P, I32, PI64]),
    ("ct_fetcher_reset_stats", None, [P]),
    ("ct_fetcher_configure_json", STATUS, [P, STR]),
    ("ct_fetcher_set_progress", STATUS, [P, FETCH_PROGRESS_FN, P]),
    ("ct_fetcher_klines", STATUS, [P, I32, STR, STR, I64, I64, PP]),
    ("ct_fetcher_klines_many", STATUS, [P, I32, PP, I32, STR, I64, I64, PP]),
    ("ct_fetcher_funding", STATUS, [P, STR, I64, I64, PI64, PF64, I64, PI64]),
    ("ct_fetcher_cache_path", STATUS, [P, I32, STR, STR, STR, SIZE, PSIZE]),
    ("ct_klines_parse", STATUS, [STR, SIZE, PI64, PF64, PF64, PF64, PF64, PF64, PI64, I64, PI64]),
    # indicators.h
    ("ct_ind_sma", STATUS, [PF64, I64, I32, PF64]),
    ("ct_ind_sma_lookback", I32, [I32]),
    ("ct_ind_ema", STATUS, [PF64, I64, I32, PF64]),
    ("ct_ind_ema_lookback", I32, [I32]),
    ("ct_ind_rsi", STATUS, [PF64, I64, I32, PF64]),
    ("ct_ind_rsi_lookback", I32, [I32]),
    ("ct_ind_macd", STATUS, [PF64, I64, I32, I32, I32, PF64, PF64, PF64]),
    ("ct_ind_macd_lookback", I32, [I32, I32, I32]),
    ("ct_ind_bbands", STATUS, [PF64, I64, I32, F64, F64, PF64, PF64, PF64]),
    ("ct_ind_bbands_lookback", I32, [I32]),
    ("ct_ind_atr", STATUS, [PF64, PF64, PF64, I64, I32, PF64]),
    ("ct_ind_atr_lookback", I32, [I32]),
    ("ct_indicator_count", I32, []),
    ("ct_indicator_at", P, [I32]),
    ("ct_indicator_find", P, [STR]),
    ("ct_indicator_lookback", I32, [P, PF64]),
    ("ct_indicator_check_options", STATUS, [P, PF64]),
    ("ct_indicator_run", STATUS, [P, I64, PP, PF64, PP]),
    ("ct_indicator_name", STR, [P]),
    ("ct_indicator_full_name", STR, [P]),
    ("ct_indicator_group", STR, [P]),
    ("ct_indicator_n_inputs", I32, [P]),
    ("ct_indicator_input_name", STR, [P, I32]),
    ("ct_indicator_n_options", I32, [P]),
    ("ct_indicator_option_name", STR, [P, I32]),
    ("ct_indicator_option_default", F64, [P, I32]),
    ("ct_indicator_option_min", F64, [P, I32]),
    ("ct_indicator_option_max", F64, [P, I32]),
    ("ct_indicator_option_step", F64, [P, I32]),
    ("ct_indicator_option_is_integer", I32, [P, I32]),
    ("ct_indicator_n_outputs", I32, [P]),
    ("ct_indicator_output_name", STR, [P, I32]),
    ("ct_ind_stream_new", STATUS, [P, PF64, PP]),
    ("ct_ind_stream_step", STATUS, [P, PF64, PF64]),
    ("ct_ind_stream_run", STATUS, [P, I64, PP, PP]),
    ("ct_ind_stream_count", I64, [P]),
    ("ct_ind_stream_indicator", P, [P]),
    ("ct_ind_stream_errmsg", STR, [P]),
    ("ct_ind_stream_free", None, [P]),
    # log.h
    ("ct_set_log_callback", None, [LOG_FN, P]),
    ("ct_set_log_level", STATUS, [I32]),
    ("ct_log_level", I32, []),
    ("ct_log_level_name", STR, [I32]),
    ("ct_log_hold", STATUS, []),  # not needed here: ctypes runs the sink on any thread
    ("ct_log_release", STATUS, []),
    # metrics.h
    ("ct_metric_count", I32, []),
    ("ct_metric_name", STR, [I32]),
    ("ct_metric_find", I32, [STR]),
    ("ct_metric_description", STR, [I32]),
    ("ct_metric_unit", STR, [I32]),
    ("ct_metric_higher_is_better", I32, [I32]),
    ("ct_result_metric", STATUS, [P, STR, PF64]),
    ("ct_result_metrics_all", STATUS, [P, PF64, I64, PI64]),
    ("ct_result_set_benchmark", STATUS, [P, PI64, PF64, I64]),
    ("ct_result_drawdowns", STATUS, [P, PI64, PI64, PI64, PF64, PI64, I64, PI64]),
    ("ct_result_monthly_returns", STATUS, [P, PI32, PI32, PF64, I64, PI64]),
    ("ct_metrics_from_equity", STATUS, [PI64, PF64, I64, PI64, PF64, I64, F64, F64, U32, PP]),
    ("ct_metrics_destroy", None, [P]),
    ("ct_metrics_errmsg", STR, [P]),
    ("ct_metrics_get", STATUS, [P, STR, PF64]),
    ("ct_metrics_all", STATUS, [P, PF64, I64, PI64]),
    ("ct_metrics_json", STATUS, [P, PP]),
    ("ct_metrics_factor_regression", STATUS, [PI64, PF64, I64, PI64, PP, I32, I64, F64, PF64, PF64, PF64, PI64]),
    # optimizer.h
    ("ct_overfit_dsr", STATUS, [F64, F64, I64, F64, F64, I64, PF64, PF64]),
    ("ct_overfit_pbo", STATUS, [PF64, I64, I64, I32, PF64]),
    ("ct_optimizer_create", STATUS, [P, P, PP]),
    ("ct_optimizer_destroy", None, [P]),
    ("ct_optimizer_errmsg", STR, [P]),
    ("ct_optimizer_configure_engine_json", STATUS, [P, STR]),
    ("ct_optimizer_set_objective", STATUS, [P, STR, I32]),
    ("ct_optimizer_objective", STR, [P]),
    ("ct_optimizer_maximize", I32, [P]),
    ("ct_optimizer_set_min_trades", STATUS, [P, I64]),
    ("ct_optimizer_set_threads", STATUS, [P, I32]),
    ("ct_optimizer_set_grid_json", STATUS, [P, STR]),
    ("ct_optimizer_set_random_json", STATUS, [P, STR, I64, U64]),
    ("ct_optimizer_set_shard", STATUS, [P, I64, I64]),
    ("ct_optimizer_set_progress", STATUS, [P, PROGRESS_FN, P]),
    ("ct_optimizer_cancel", STATUS, [P]),
    ("ct_optimizer_run", STATUS, [P]),
    ("ct_optimizer_counts", STATUS, [P, PI64, PI64, PI64]),
    ("ct_optimizer_row_count", I64, [P]),
    ("ct_optimizer_row", STATUS, [P, I64, PI64, PF64]),
    ("ct_optimizer_param_count", I32, [P]),
    ("ct_optimizer_param_name", STR, [P, I32]),
    ("ct_optimizer_row_params", STATUS, [P, I64, PF64, I32, PI32]),
    ("ct_optimizer_row_params_json", STATUS, [P, I64, PP]),
    ("ct_optimizer_metric_count", I32, [P]),
    ("ct_optimizer_metric_name", STR, [P, I32]),
    ("ct_optimizer_row_metrics", STATUS, [P, I64, PF64, I32, PI32]),
    ("ct_optimizer_row_metric", STATUS, [P, I64, STR, PF64]),
    ("ct_optimizer_overfit", STATUS, [P, PF64, PF64]),
    ("ct_optimizer_json", STATUS, [P, I64, PP]),
    ("ct_optimizer_csv", STATUS, [P, PP]),
    ("ct_optimizer_merge_json", STATUS, [PP, I32, PP]),
    ("ct_optimizer_walkforward", STATUS, [P, I64, I64, I64, I32, I32, PP]),
    ("ct_walkforward_destroy", None, [P]),
    ("ct_walkforward_window_count", I64, [P]),
    ("ct_walkforward_window", STATUS, [P, I64, PI64, PI64, PI64, PI64, PI64, PF64, PF64]),
    ("ct_walkforward_window_params", STATUS, [P, I64, PF64, I32, PI32]),
    ("ct_walkforward_window_metric", STATUS, [P, I64, I32, STR, PF64]),
    ("ct_walkforward_equity", STATUS, [P, PI64, PF64, I64, PI64]),
    ("ct_walkforward_metric", STATUS, [P, STR, PF64]),
    ("ct_walkforward_efficiency", F64, [P]),
    ("ct_walkforward_json", STATUS, [P, PP]),
    ("ct_walkforward_report_html", STATUS, [P, STR]),
    # result.h
    ("ct_result_destroy", None, [P]),
    ("ct_result_errmsg", STR, [P]),
    ("ct_result_strategy", STR, [P]),
    ("ct_result_symbol", STR, [P]),
    ("ct_result_interval_ms", I64, [P]),
    ("ct_result_params_json", STR, [P]),
    ("ct_result_config_json", STR, [P]),
    ("ct_result_len", I64, [P]),
    ("ct_result_equity", STATUS, [P, PI64, PF64, I64, PI64]),
    ("ct_result_equity_ptr", P, [P]),
    ("ct_result_time_ptr", P, [P]),
    ("ct_result_position_ptr", P, [P]),
    ("ct_result_trade_count", I64, [P]),
    ("ct_result_trades", STATUS, [P, P, I64, PI64]),
    ("ct_result_open_position", STATUS, [P, PI32, PF64, PF64, PI64, PI64]),
    ("ct_result_pending_at_end", I64, [P]),
    ("ct_result_rejected_orders", I64, [P]),
    ("ct_result_final_equity", F64, [P]),
    ("ct_result_final_cash", F64, [P]),
    ("ct_result_json", STATUS, [P, I64, PP]),
    ("ct_result_report_html", STATUS, [P, STR]),
    ("ct_result_cache_key", STATUS, [P, STR, SIZE]),
    # status.h
    ("ct_status_name", STR, [STATUS]),
    ("ct_status_str", STR, [STATUS]),
    ("ct_last_error", STR, []),
    ("ct_clear_error", None, []),
    # strategy.h
    ("ct_strategy_register", STATUS, [P]),
    ("ct_strategy_unregister", STATUS, [STR]),
    ("ct_strategy_class_find", P, [STR]),
    ("ct_strategy_class_count", I32, []),
    ("ct_strategy_class_at", P, [I32]),
    ("ct_strategy_class_name", STR, [P]),
    ("ct_strategy_class_description", STR, [P]),
    ("ct_strategy_class_flags", U32, [P]),
    ("ct_strategy_class_is_builtin", I32, [P]),
    ("ct_strategy_class_n_params", I32, [P]),
    ("ct_strategy_class_param_index", I32, [P, STR]),
    ("ct_strategy_class_param", STATUS, [P, I32, PP, PI32, PF64, PF64, PF64, PF64, PP]),
    ("ct_param_kind_name", STR, [I32]),
    ("ct_strategy_classes_json", STATUS, [PP]),
    ("ct_plugin_load", STATUS, [STR]),
    ("ct_strategy_create", STATUS, [P, PP]),
    ("ct_strategy_create_by_name", STATUS, [STR, PP]),
    ("ct_strategy_destroy", None, [P]),
    ("ct_strategy_clone", STATUS, [P, PP]),
    ("ct_strategy_get_class", P, [P]),
    ("ct_strategy_errmsg", STR, [P]),
    ("ct_strategy_set_f64", STATUS, [P, STR, F64]),
    ("ct_strategy_set_i64", STATUS, [P, STR, I64]),
    ("ct_strategy_reset", STATUS, [P]),
    ("ct_strategy_get_f64", STATUS, [P, STR, PF64]),
    ("ct_strategy_values", P, [P]),
    ("ct_strategy_set_json", STATUS, [P, STR]),
    ("ct_strategy_validate", STATUS, [P]),
    ("ct_strategy_params_json", STATUS, [P, PP]),
    ("ct_ctx_bar_index", I64, [P]),
    ("ct_ctx_bar", STATUS, [P, I32, I64, PF64]),
    ("ct_ctx_time", STATUS, [P, I64, PI64]),
    ("ct_ctx_series", STATUS, [P, I32, PP, PI64]),
    ("ct_ctx_position", F64, [P]),
    ("ct_ctx_cash", F64, [P]),
    ("ct_ctx_equity", F64, [P]),
    ("ct_ctx_entry_price", F64, [P]),
    ("ct_ctx_declare_indicator", STATUS, [P, STR, PF64, I32, PI32]),
    ("ct_ctx_indicator", STATUS, [P, I32, I32, I64, PF64]),
    ("ct_ctx_order_market", STATUS, [P, F64, PI64]),
    ("ct_ctx_order_notional", STATUS, [P, F64, PI64]),
    ("ct_ctx_order_limit", STATUS, [P, F64, F64, PI64]),
    ("ct_ctx_order_stop", STATUS, [P, F64, F64, PI64]),
    ("ct_ctx_order_stop_limit", STATUS, [P, F64, F64, F64, PI64]),
    ("ct_ctx_order_target", STATUS, [P, F64, PI64]),
    ("ct_ctx_close_position", STATUS, [P, PI64]),
    ("ct_ctx_take_profit", STATUS, [P, F64, PI64]),
    ("ct_ctx_stop_loss", STATUS, [P, F64, PI64]),
    ("ct_ctx_trailing_stop", STATUS, [P, F64, I32, PI64]),
    ("ct_ctx_cancel", STATUS, [P, I64]),
    ("ct_ctx_cancel_all", STATUS, [P]),
    ("ct_ctx_open_orders", I64, [P]),
    ("ct_ctx_order_info", STATUS, [P, I64, PI64, PI32, PF64, PF64, PF64]),
    ("ct_ctx_last_fill", STATUS, [P, PI64, PF64, PF64, PF64]),
    ("ct_ctx_set_error", None, [P, STR]),
    # version.h
    ("ct_version_string", STR, []),
    ("ct_version_number", I32, []),
    ("ct_abi_version", I32, []),
]


class _Missing:
    """Stands in for a function the loaded library does not export."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    def __call__(self, *args: Any) -> Any:
        from .errors import UnsupportedError
        raise UnsupportedError(f"the loaded libcryptota does not export {self.__name__}() "
                               "(built from an older version?)", 20)


class Functions:
    """Namespace of bound C functions: ``F.ct_feed_len(handle)``."""

    missing: List[str]

    def __getattr__(self, name: str) -> Any:  # only reached for unknown names
        raise AttributeError(f"{name} is not declared in cryptota/_ffi.py")


def bind(lib: ctypes.CDLL) -> Functions:
    """Apply SIGNATURES to ``lib``; returns the namespace of callables."""
    ns = Functions()
    ns.missing = []
    for name, restype, argtypes in SIGNATURES:
        try:
            fn = getattr(lib, name)
        except AttributeError:
            setattr(ns, name, _Missing(name))
            ns.missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
        setattr(ns, name, fn)
    return ns
