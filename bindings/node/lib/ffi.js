'use strict';
// Every C signature the binding uses, in one place (STYLE.md R12), as koffi prototypes.
// test/ffi.test.js parses include/cryptota/*.h and checks names, argument counts and basic
// types against PROTOTYPES. Conventions: `_Out_ T *` is an output scalar (pass [0]), `void *`
// marks caller buffers (TypedArray / Buffer), `_Out_ void **out` receives a library string
// freed with ct_free. bind(lib) returns an object of callable functions; a function the loaded
// library does not export becomes a stub that throws UnsupportedError when called.
const koffi = require('koffi');

koffi.alias('ct_status', 'int32_t');
for (const name of ['ct_feed', 'ct_result', 'ct_engine', 'ct_strategy', 'ct_strategy_class',
  'ct_ctx', 'ct_indicator_info', 'ct_ind_stream', 'ct_optimizer', 'ct_walkforward',
  'ct_fetcher', 'ct_metrics', 'ct_indicator_cache', 'ct_session', 'ct_allocator']) {
  koffi.opaque(name);
}
koffi.proto('void ct_log_fn(void *user, int32_t level, const char *json_line)');
koffi.proto('int32_t ct_fetch_progress_fn(void *user, int64_t done, int64_t total)');
koffi.proto('int32_t ct_progress_fn(void *user, int64_t done, int64_t total, double best, double eta_s)');
koffi.proto('ct_status ct_broker_fn(void *user, int32_t event, int64_t order_id, int32_t type, double qty, double price, double stop)');
// Strategy vtable callbacks (strategy.h).
const CreateFn = koffi.proto('ct_status ct_create_fn(void *class_user, const double *params, int32_t n_params, void **instance, void *err, int32_t err_cap)');
const CallbackFn = koffi.proto('ct_status ct_callback_fn(void *user, ct_ctx *ctx)');
const DestroyFn = koffi.proto('void ct_destroy_fn(void *user)');

const ParamDef = koffi.struct('ct_param_def', {
  struct_size: 'uint32_t', kind: 'int32_t', name: 'const char *', def: 'double', min: 'double',
  max: 'double', step: 'double', description: 'const char *',
});
const StrategyVtable = koffi.struct('ct_strategy_vtable', {
  struct_size: 'uint32_t', flags: 'uint32_t', name: 'const char *', description: 'const char *',
  params: 'ct_param_def *', n_params: 'int32_t', reserved: 'int32_t', class_user: 'void *',
  create: koffi.pointer(CreateFn), on_start: koffi.pointer(CallbackFn),
  on_bar: koffi.pointer(CallbackFn), on_fill: koffi.pointer(CallbackFn),
  on_finish: koffi.pointer(CallbackFn), destroy: koffi.pointer(DestroyFn),
});

const PROTOTYPES = [
  // alloc.h
  'ct_status ct_set_allocator(const ct_allocator *a)',
  'void ct_free(void *p)',
  'int64_t ct_alloc_live_count(void)',
  'ct_status ct_global_init(void)',
  'void ct_global_cleanup(void)',
  // engine.h
  'ct_status ct_engine_create(_Out_ ct_engine **out)',
  'void ct_engine_destroy(ct_engine *e)',
  'const char *ct_engine_errmsg(const ct_engine *e)',
  'ct_status ct_engine_clone(const ct_engine *e, _Out_ ct_engine **out)',
  'ct_status ct_engine_set_f64(ct_engine *e, int32_t id, double value)',
  'ct_status ct_engine_set_i64(ct_engine *e, int32_t id, int64_t value)',
  'ct_status ct_engine_get_f64(const ct_engine *e, int32_t id, _Out_ double *value)',
  'ct_status ct_engine_param_bounds(int32_t id, _Out_ double *lo, _Out_ double *hi)',
  'const char *ct_engine_param_name(int32_t id)',
  'ct_status ct_engine_configure_json(ct_engine *e, const char *json)',
  'ct_status ct_engine_config_json(const ct_engine *e, _Out_ void **out)',
  'ct_status ct_engine_set_funding(ct_engine *e, const int64_t *time_ms, const double *rate, int64_t n)',
  'ct_status ct_engine_set_indicator_cache(ct_engine *e, ct_indicator_cache *cache)',
  'ct_status ct_engine_run(ct_engine *e, const ct_feed *feed, ct_strategy *s, _Out_ ct_result **out)',
  'ct_status ct_indicator_cache_create(_Out_ ct_indicator_cache **out)',
  'void ct_indicator_cache_destroy(ct_indicator_cache *c)',
  'int64_t ct_indicator_cache_size(const ct_indicator_cache *c)',
  'ct_status ct_session_create(const ct_engine *e, const ct_strategy *s, const char *symbol, int64_t interval_ms, _Out_ ct_session **out)',
  'void ct_session_destroy(ct_session *ss)',
  'const char *ct_session_errmsg(const ct_session *ss)',
  'ct_status ct_session_set_broker(ct_session *ss, ct_broker_fn *fn, void *user)',
  'ct_status ct_session_push(ct_session *ss, int64_t time_ms, double open, double high, double low, double close, double volume)',
  'ct_status ct_session_report_fill(ct_session *ss, int64_t order_id, double qty, double price, double commission)',
  'int64_t ct_session_len(const ct_session *ss)',
  'double ct_session_position(const ct_session *ss)',
  'double ct_session_cash(const ct_session *ss)',
  'double ct_session_equity(const ct_session *ss)',
  'ct_status ct_session_result(ct_session *ss, _Out_ ct_result **out)',
  // feed.h
  'ct_status ct_interval_parse(const char *name, _Out_ int64_t *interval_ms)',
  'const char *ct_interval_name(int64_t interval_ms)',
  'ct_status ct_feed_create(const char *symbol, int64_t interval_ms, _Out_ ct_feed **out)',
  'ct_status ct_feed_from_arrays(const char *symbol, int64_t interval_ms, const int64_t *time, const double *open, const double *high, const double *low, const double *close, const double *volume, int64_t n, uint32_t flags, _Out_ ct_feed **out)',
  'ct_status ct_feed_append(ct_feed *f, const int64_t *time, const double *open, const double *high, const double *low, const double *close, const double *volume, int64_t n)',
  'void ct_feed_destroy(ct_feed *f)',
  'ct_status ct_feed_clone(const ct_feed *f, _Out_ ct_feed **out)',
  'int64_t ct_feed_len(const ct_feed *f)',
  'const char *ct_feed_symbol(const ct_feed *f)',
  'int64_t ct_feed_interval_ms(const ct_feed *f)',
  'ct_status ct_feed_set_symbol(ct_feed *f, const char *symbol)',
  'const int64_t *ct_feed_time(const ct_feed *f)',
  'const double *ct_feed_open(const ct_feed *f)',
  'const double *ct_feed_high(const ct_feed *f)',
  'const double *ct_feed_low(const ct_feed *f)',
  'const double *ct_feed_close(const ct_feed *f)',
  'const double *ct_feed_volume(const ct_feed *f)',
  'const double *ct_feed_column(const ct_feed *f, int32_t field)',
  'const void *ct_feed_filled(const ct_feed *f)',
  'int64_t ct_feed_lower_bound(const ct_feed *f, int64_t time_ms)',
  'const char *ct_feed_errmsg(const ct_feed *f)',
  'int64_t ct_feed_missing_bars(const ct_feed *f)',
  'ct_status ct_feed_gaps(const ct_feed *f, void *after_ms, void *before_ms, void *missing, int64_t cap, _Out_ int64_t *n_total)',
  'ct_status ct_feed_apply_gaps(const ct_feed *f, int32_t policy, _Out_ ct_feed **out)',
  'ct_status ct_feed_resample(const ct_feed *f, int64_t interval_ms, uint32_t flags, _Out_ ct_feed **out)',
  'ct_status ct_feed_slice(const ct_feed *f, int64_t start_ms, int64_t end_ms, _Out_ ct_feed **out)',
  'ct_status ct_feed_load(const char *path, int32_t gap_policy, _Out_ ct_feed **out)',
  'ct_status ct_feed_parse_csv(const char *text, size_t len, const char *symbol, int64_t interval_ms, int32_t gap_policy, _Out_ ct_feed **out)',
  'ct_status ct_feed_parse_ctz(const void *data, size_t len, _Out_ ct_feed **out)',
  'ct_status ct_feed_save(const ct_feed *f, const char *path)',
  // fetch.h
  'ct_status ct_fetcher_create(_Out_ ct_fetcher **out)',
  'void ct_fetcher_destroy(ct_fetcher *f)',
  'const char *ct_fetcher_errmsg(const ct_fetcher *f)',
  'ct_status ct_fetcher_set_i64(ct_fetcher *f, int32_t key, int64_t value)',
  'ct_status ct_fetcher_set_str(ct_fetcher *f, int32_t key, const char *value)',
  'ct_status ct_fetcher_get_i64(const ct_fetcher *f, int32_t key, _Out_ int64_t *value)',
  'void ct_fetcher_reset_stats(ct_fetcher *f)',
  'ct_status ct_fetcher_configure_json(ct_fetcher *f, const char *json)',
  'ct_status ct_fetcher_set_progress(ct_fetcher *f, ct_fetch_progress_fn *fn, void *user)',
  'ct_status ct_fetcher_klines(ct_fetcher *f, int32_t market, const char *symbol, const char *interval, int64_t start_ms, int64_t end_ms, _Out_ ct_feed **out)',
  'ct_status ct_fetcher_klines_many(ct_fetcher *f, int32_t market, const char **symbols, int32_t n, const char *interval, int64_t start_ms, int64_t end_ms, void *out)',
  'ct_status ct_fetcher_funding(ct_fetcher *f, const char *symbol, int64_t start_ms, int64_t end_ms, void *time_ms, void *rate, int64_t cap, _Out_ int64_t *n_total)',
  'ct_status ct_fetcher_cache_path(const ct_fetcher *f, int32_t market, const char *symbol, const char *interval, void *buf, size_t cap, _Out_ size_t *len)',
  'ct_status ct_klines_parse(const char *body, size_t len, void *open_time, void *open, void *high, void *low, void *close, void *volume, void *close_time, int64_t cap, _Out_ int64_t *n)',
  // indicators.h
  'ct_status ct_ind_sma(const double *in, int64_t n, int32_t period, void *out)',
  'int32_t ct_ind_sma_lookback(int32_t period)',
  'ct_status ct_ind_ema(const double *in, int64_t n, int32_t period, void *out)',
  'int32_t ct_ind_ema_lookback(int32_t period)',
  'ct_status ct_ind_rsi(const double *in, int64_t n, int32_t period, void *out)',
  'int32_t ct_ind_rsi_lookback(int32_t period)',
  'ct_status ct_ind_macd(const double *in, int64_t n, int32_t fast, int32_t slow, int32_t signal, void *macd, void *signal_line, void *hist)',
  'int32_t ct_ind_macd_lookback(int32_t fast, int32_t slow, int32_t signal)',
  'ct_status ct_ind_bbands(const double *in, int64_t n, int32_t period, double nbdev_up, double nbdev_dn, void *upper, void *middle, void *lower)',
  'int32_t ct_ind_bbands_lookback(int32_t period)',
  'ct_status ct_ind_atr(const double *high, const double *low, const double *close, int64_t n, int32_t period, void *out)',
  'int32_t ct_ind_atr_lookback(int32_t period)',
  'int32_t ct_indicator_count(void)',
  'const ct_indicator_info *ct_indicator_at(int32_t i)',
  'const ct_indicator_info *ct_indicator_find(const char *name)',
  'int32_t ct_indicator_lookback(const ct_indicator_info *ind, const double *options)',
  'ct_status ct_indicator_check_options(const ct_indicator_info *ind, const double *options)',
  'ct_status ct_indicator_run(const ct_indicator_info *ind, int64_t n, const void **inputs, const double *options, void **outputs)',
  'const char *ct_indicator_name(const ct_indicator_info *ind)',
  'const char *ct_indicator_full_name(const ct_indicator_info *ind)',
  'const char *ct_indicator_group(const ct_indicator_info *ind)',
  'int32_t ct_indicator_n_inputs(const ct_indicator_info *ind)',
  'const char *ct_indicator_input_name(const ct_indicator_info *ind, int32_t i)',
  'int32_t ct_indicator_n_options(const ct_indicator_info *ind)',
  'const char *ct_indicator_option_name(const ct_indicator_info *ind, int32_t i)',
  'double ct_indicator_option_default(const ct_indicator_info *ind, int32_t i)',
  'double ct_indicator_option_min(const ct_indicator_info *ind, int32_t i)',
  'double ct_indicator_option_max(const ct_indicator_info *ind, int32_t i)',
  'double ct_indicator_option_step(const ct_indicator_info *ind, int32_t i)',
  'int32_t ct_indicator_option_is_integer(const ct_indicator_info *ind, int32_t i)',
  'int32_t ct_indicator_n_outputs(const ct_indicator_info *ind)',
  'const char *ct_indicator_output_name(const ct_indicator_info *ind, int32_t i)',
  'ct_status ct_ind_stream_new(const ct_indicator_info *ind, const double *options, _Out_ ct_ind_stream **out)',
  'ct_status ct_ind_stream_step(ct_ind_stream *s, const double *inputs, void *outputs)',
  'ct_status ct_ind_stream_run(ct_ind_stream *s, int64_t n, const void **inputs, void **outputs)',
  'int64_t ct_ind_stream_count(const ct_ind_stream *s)',
  'const ct_indicator_info *ct_ind_stream_indicator(const ct_ind_stream *s)',
  'const char *ct_ind_stream_errmsg(const ct_ind_stream *s)',
  'void ct_ind_stream_free(ct_ind_stream *s)',
  // log.h
  'void ct_set_log_callback(ct_log_fn *fn, void *user)',
  'ct_status ct_set_log_level(int32_t level)',
  'int32_t ct_log_level(void)',
  'const char *ct_log_level_name(int32_t level)',
  'ct_status ct_log_hold(void)',
  'ct_status ct_log_release(void)',
  // metrics.h
  'int32_t ct_metric_count(void)',
  'const char *ct_metric_name(int32_t i)',
  'int32_t ct_metric_find(const char *name)',
  'const char *ct_metric_description(int32_t i)',
  'const char *ct_metric_unit(int32_t i)',
  'int32_t ct_metric_higher_is_better(int32_t i)',
  'ct_status ct_result_metric(const ct_result *r, const char *name, _Out_ double *value)',
  'ct_status ct_result_metrics_all(const ct_result *r, void *values, int64_t cap, _Out_ int64_t *n_total)',
  'ct_status ct_result_set_benchmark(ct_result *r, const int64_t *time_ms, const double *values, int64_t n)',
  'ct_status ct_result_drawdowns(const ct_result *r, void *start_ms, void *trough_ms, void *recovery_ms, void *depth, void *duration_bars, int64_t cap, _Out_ int64_t *n_total)',
  'ct_status ct_result_monthly_returns(const ct_result *r, void *year, void *month, void *ret, int64_t cap, _Out_ int64_t *n_total)',
  'ct_status ct_metrics_from_equity(const int64_t *time_ms, const double *equity, int64_t n, const int64_t *bench_time, const double *bench_values, int64_t nb, double periods_per_year, double risk_free, uint32_t flags, _Out_ ct_metrics **out)',
  'void ct_metrics_destroy(ct_metrics *m)',
  'const char *ct_metrics_errmsg(const ct_metrics *m)',
  'ct_status ct_metrics_get(const ct_metrics *m, const char *name, _Out_ double *value)',
  'ct_status ct_metrics_all(const ct_metrics *m, void *values, int64_t cap, _Out_ int64_t *n_total)',
  'ct_status ct_metrics_json(const ct_metrics *m, _Out_ void **out)',
  'ct_status ct_metrics_factor_regression(const int64_t *time_ms, const double *equity, int64_t n, const int64_t *factor_time, const void **factor_values, int32_t k, int64_t nf, double periods_per_year, _Out_ double *alpha, void *betas, _Out_ double *r_squared, _Out_ int64_t *n_used)',
  // optimizer.h
  'ct_status ct_overfit_dsr(double sharpe, double sharpe_var, int64_t n_trials, double skew, double excess_kurtosis, int64_t n_returns, _Out_ double *dsr, _Out_ double *sr0)',
  'ct_status ct_overfit_pbo(const double *returns, int64_t n_rows, int64_t n_cols, int32_t n_blocks, _Out_ double *pbo)',
  'ct_status ct_optimizer_create(const ct_feed *feed, const ct_strategy_class *cls, _Out_ ct_optimizer **out)',
  'void ct_optimizer_destroy(ct_optimizer *o)',
  'const char *ct_optimizer_errmsg(const ct_optimizer *o)',
  'ct_status ct_optimizer_configure_engine_json(ct_optimizer *o, const char *json)',
  'ct_status ct_optimizer_set_objective(ct_optimizer *o, const char *metric, int32_t maximize)',
  'const char *ct_optimizer_objective(const ct_optimizer *o)',
  'int32_t ct_optimizer_maximize(const ct_optimizer *o)',
  'ct_status ct_optimizer_set_min_trades(ct_optimizer *o, int64_t min_trades)',
  'ct_status ct_optimizer_set_threads(ct_optimizer *o, int32_t threads)',
  'ct_status ct_optimizer_set_grid_json(ct_optimizer *o, const char *json)',
  'ct_status ct_optimizer_set_random_json(ct_optimizer *o, const char *json, int64_t n, uint64_t seed)',
  'ct_status ct_optimizer_set_shard(ct_optimizer *o, int64_t k, int64_t n)',
  'ct_status ct_optimizer_set_progress(ct_optimizer *o, ct_progress_fn *fn, void *user)',
  'ct_status ct_optimizer_cancel(ct_optimizer *o)',
  'ct_status ct_optimizer_run(ct_optimizer *o)',
  'ct_status ct_optimizer_counts(const ct_optimizer *o, _Out_ int64_t *total, _Out_ int64_t *evaluated, _Out_ int64_t *skipped)',
  'int64_t ct_optimizer_row_count(const ct_optimizer *o)',
  'ct_status ct_optimizer_row(const ct_optimizer *o, int64_t rank, _Out_ int64_t *index, _Out_ double *objective)',
  'int32_t ct_optimizer_param_count(const ct_optimizer *o)',
  'const char *ct_optimizer_param_name(const ct_optimizer *o, int32_t i)',
  'ct_status ct_optimizer_row_params(const ct_optimizer *o, int64_t rank, void *values, int32_t cap, _Out_ int32_t *n_total)',
  'ct_status ct_optimizer_row_params_json(const ct_optimizer *o, int64_t rank, _Out_ void **out)',
  'int32_t ct_optimizer_metric_count(const ct_optimizer *o)',
  'const char *ct_optimizer_metric_name(const ct_optimizer *o, int32_t i)',
  'ct_status ct_optimizer_row_metrics(const ct_optimizer *o, int64_t rank, void *values, int32_t cap, _Out_ int32_t *n_total)',
  'ct_status ct_optimizer_row_metric(const ct_optimizer *o, int64_t rank, const char *name, _Out_ double *value)',
  'ct_status ct_optimizer_overfit(const ct_optimizer *o, _Out_ double *dsr, _Out_ double *pbo)',
  'ct_status ct_optimizer_json(const ct_optimizer *o, int64_t top_k, _Out_ void **out)',
  'ct_status ct_optimizer_csv(const ct_optimizer *o, _Out_ void **out)',
  'ct_status ct_optimizer_merge_json(const char **docs, int32_t n_docs, _Out_ ct_optimizer **out)',
  'ct_status ct_optimizer_walkforward(ct_optimizer *o, int64_t train, int64_t test, int64_t purge, int32_t anchored, int32_t unit, _Out_ ct_walkforward **out)',
  'void ct_walkforward_destroy(ct_walkforward *wf)',
  'int64_t ct_walkforward_window_count(const ct_walkforward *wf)',
  'ct_status ct_walkforward_window(const ct_walkforward *wf, int64_t i, _Out_ int64_t *train_lo, _Out_ int64_t *train_hi, _Out_ int64_t *test_lo, _Out_ int64_t *test_hi, _Out_ int64_t *best_index, _Out_ double *is_objective, _Out_ double *oos_objective)',
  'ct_status ct_walkforward_window_params(const ct_walkforward *wf, int64_t i, void *values, int32_t cap, _Out_ int32_t *n_total)',
  'ct_status ct_walkforward_window_metric(const ct_walkforward *wf, int64_t i, int32_t is_oos, const char *name, _Out_ double *value)',
  'ct_status ct_walkforward_equity(const ct_walkforward *wf, void *time_ms, void *equity, int64_t cap, _Out_ int64_t *n_total)',
  'ct_status ct_walkforward_metric(const ct_walkforward *wf, const char *name, _Out_ double *value)',
  'double ct_walkforward_efficiency(const ct_walkforward *wf)',
  'ct_status ct_walkforward_json(const ct_walkforward *wf, _Out_ void **out)',
  'ct_status ct_walkforward_report_html(const ct_walkforward *wf, const char *path)',
  // result.h
  'void ct_result_destroy(ct_result *r)',
  'const char *ct_result_errmsg(const ct_result *r)',
  'const char *ct_result_strategy(const ct_result *r)',
  'const char *ct_result_symbol(const ct_result *r)',
  'int64_t ct_result_interval_ms(const ct_result *r)',
  'const char *ct_result_params_json(const ct_result *r)',
  'const char *ct_result_config_json(const ct_result *r)',
  'int64_t ct_result_len(const ct_result *r)',
  'ct_status ct_result_equity(const ct_result *r, void *time_ms, void *equity, int64_t cap, _Out_ int64_t *n_total)',
  'const double *ct_result_equity_ptr(const ct_result *r)',
  'const int64_t *ct_result_time_ptr(const ct_result *r)',
  'const double *ct_result_position_ptr(const ct_result *r)',
  'int64_t ct_result_trade_count(const ct_result *r)',
  'ct_status ct_result_trades(const ct_result *r, void *buf, int64_t cap, _Out_ int64_t *n_total)',
  'ct_status ct_result_open_position(const ct_result *r, _Out_ int32_t *has_open, _Out_ double *qty, _Out_ double *entry_price, _Out_ int64_t *entry_time_ms, _Out_ int64_t *entry_bar)',
  'int64_t ct_result_pending_at_end(const ct_result *r)',
  'int64_t ct_result_rejected_orders(const ct_result *r)',
  'double ct_result_final_equity(const ct_result *r)',
  'double ct_result_final_cash(const ct_result *r)',
  'ct_status ct_result_json(const ct_result *r, int64_t max_equity_points, _Out_ void **out)',
  'ct_status ct_result_report_html(const ct_result *r, const char *path)',
  'ct_status ct_result_cache_key(const ct_result *r, void *buf, size_t cap)',
  // status.h
  'const char *ct_status_name(ct_status s)',
  'const char *ct_status_str(ct_status s)',
  'const char *ct_last_error(void)',
  'void ct_clear_error(void)',
  // strategy.h
  'ct_status ct_strategy_register(const ct_strategy_vtable *vt)',
  'ct_status ct_strategy_unregister(const char *name)',
  'const ct_strategy_class *ct_strategy_class_find(const char *name)',
  'int32_t ct_strategy_class_count(void)',
  'const ct_strategy_class *ct_strategy_class_at(int32_t i)',
  'const char *ct_strategy_class_name(const ct_strategy_class *c)',
  'const char *ct_strategy_class_description(const ct_strategy_class *c)',
  'uint32_t ct_strategy_class_flags(const ct_strategy_class *c)',
  'int32_t ct_strategy_class_is_builtin(const ct_strategy_class *c)',
  'int32_t ct_strategy_class_n_params(const ct_strategy_class *c)',
  'int32_t ct_strategy_class_param_index(const ct_strategy_class *c, const char *name)',
  'ct_status ct_strategy_class_param(const ct_strategy_class *c, int32_t i, _Out_ const char **name, _Out_ int32_t *kind, _Out_ double *def, _Out_ double *min, _Out_ double *max, _Out_ double *step, _Out_ const char **description)',
  'const char *ct_param_kind_name(int32_t kind)',
  'ct_status ct_strategy_classes_json(_Out_ void **out)',
  'ct_status ct_plugin_load(const char *path)',
  'ct_status ct_strategy_create(const ct_strategy_class *c, _Out_ ct_strategy **out)',
  'ct_status ct_strategy_create_by_name(const char *name, _Out_ ct_strategy **out)',
  'void ct_strategy_destroy(ct_strategy *s)',
  'ct_status ct_strategy_clone(const ct_strategy *s, _Out_ ct_strategy **out)',
  'const ct_strategy_class *ct_strategy_get_class(const ct_strategy *s)',
  'const char *ct_strategy_errmsg(const ct_strategy *s)',
  'ct_status ct_strategy_set_f64(ct_strategy *s, const char *name, double value)',
  'ct_status ct_strategy_set_i64(ct_strategy *s, const char *name, int64_t value)',
  'ct_status ct_strategy_reset(ct_strategy *s)',
  'ct_status ct_strategy_get_f64(const ct_strategy *s, const char *name, _Out_ double *value)',
  'const double *ct_strategy_values(const ct_strategy *s)',
  'ct_status ct_strategy_set_json(ct_strategy *s, const char *json)',
  'ct_status ct_strategy_validate(ct_strategy *s)',
  'ct_status ct_strategy_params_json(const ct_strategy *s, _Out_ void **out)',
  'int64_t ct_ctx_bar_index(const ct_ctx *ctx)',
  'ct_status ct_ctx_bar(const ct_ctx *ctx, int32_t field, int64_t lag, _Out_ double *out)',
  'ct_status ct_ctx_time(const ct_ctx *ctx, int64_t lag, _Out_ int64_t *out)',
  'ct_status ct_ctx_series(const ct_ctx *ctx, int32_t field, _Out_ void **p, _Out_ int64_t *n)',
  'double ct_ctx_position(const ct_ctx *ctx)',
  'double ct_ctx_cash(const ct_ctx *ctx)',
  'double ct_ctx_equity(const ct_ctx *ctx)',
  'double ct_ctx_entry_price(const ct_ctx *ctx)',
  'ct_status ct_ctx_declare_indicator(ct_ctx *ctx, const char *name, const double *options, int32_t n_options, _Out_ int32_t *handle)',
  'ct_status ct_ctx_indicator(const ct_ctx *ctx, int32_t handle, int32_t output, int64_t lag, _Out_ double *out)',
  'ct_status ct_ctx_order_market(ct_ctx *ctx, double qty, _Out_ int64_t *id)',
  'ct_status ct_ctx_order_notional(ct_ctx *ctx, double notional, _Out_ int64_t *id)',
  'ct_status ct_ctx_order_limit(ct_ctx *ctx, double qty, double limit, _Out_ int64_t *id)',
  'ct_status ct_ctx_order_stop(ct_ctx *ctx, double qty, double stop, _Out_ int64_t *id)',
  'ct_status ct_ctx_order_stop_limit(ct_ctx *ctx, double qty, double stop, double limit, _Out_ int64_t *id)',
  'ct_status ct_ctx_order_target(ct_ctx *ctx, double fraction, _Out_ int64_t *id)',
  'ct_status ct_ctx_close_position(ct_ctx *ctx, _Out_ int64_t *id)',
  'ct_status ct_ctx_take_profit(ct_ctx *ctx, double price, _Out_ int64_t *id)',
  'ct_status ct_ctx_stop_loss(ct_ctx *ctx, double price, _Out_ int64_t *id)',
  'ct_status ct_ctx_trailing_stop(ct_ctx *ctx, double amount, int32_t is_percent, _Out_ int64_t *id)',
  'ct_status ct_ctx_cancel(ct_ctx *ctx, int64_t id)',
  'ct_status ct_ctx_cancel_all(ct_ctx *ctx)',
  'int64_t ct_ctx_open_orders(const ct_ctx *ctx)',
  'ct_status ct_ctx_order_info(const ct_ctx *ctx, int64_t i, _Out_ int64_t *id, _Out_ int32_t *type, _Out_ double *qty, _Out_ double *price, _Out_ double *stop)',
  'ct_status ct_ctx_last_fill(const ct_ctx *ctx, _Out_ int64_t *order_id, _Out_ double *qty, _Out_ double *price, _Out_ double *commission)',
  'void ct_ctx_set_error(ct_ctx *ctx, const char *msg)',
  // version.h
  'const char *ct_version_string(void)',
  'int32_t ct_version_number(void)',
  'int32_t ct_abi_version(void)',
];

/** Name of the function a prototype declares. */
function protoName(p) {
  return /(ct_\w+)\s*\(/.exec(p)[1];
}

/** Bind every prototype to `lib` (a koffi library). */
function bind(lib, UnsupportedError) {
  const fns = { missing: [] };
  for (const p of PROTOTYPES) {
    const name = protoName(p);
    try {
      fns[name] = lib.func(p);
    } catch (e) {
      if (!/[Cc]annot find function|symbol/.test(String(e && e.message))) throw e;
      fns.missing.push(name);
      const stub = () => {
        throw new UnsupportedError(`the loaded libcryptota does not export ${name}() (built from an older version?)`, 20);
      };
      stub.async = stub;
      fns[name] = stub;
    }
  }
  return fns;
}

module.exports = { koffi, PROTOTYPES, protoName, bind, ParamDef, StrategyVtable, CreateFn, CallbackFn, DestroyFn };
