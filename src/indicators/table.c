/*
 * The indicator table: one row per indicator (names, inputs, options with default/min/max/step,
 * outputs, implementation hooks). The generic entry point, the streaming API, the CLI, the docs
 * and the tests all read it at run time (STYLE.md R13).
 */
#include "indicators/ind_internal.h"

#define IMPL(P) extern const ct__ind_impl ct__impl_##P;
IMPL(sma) IMPL(ema) IMPL(wma) IMPL(dema) IMPL(tema) IMPL(trima) IMPL(kama) IMPL(hma) IMPL(trix)
IMPL(rsi) IMPL(cmo) IMPL(macd) IMPL(ppo) IMPL(stoch) IMPL(stochf) IMPL(stochrsi) IMPL(willr)
IMPL(cci) IMPL(roc) IMPL(mom) IMPL(ultosc) IMPL(bop) IMPL(aroon) IMPL(aroonosc)
IMPL(bbands) IMPL(stddev) IMPL(var) IMPL(atr) IMPL(natr) IMPL(trange) IMPL(keltner) IMPL(donchian)
IMPL(supertrend) IMPL(plus_di) IMPL(minus_di) IMPL(dx) IMPL(plus_dm) IMPL(minus_dm) IMPL(adx)
IMPL(adxr) IMPL(sar) IMPL(midpoint) IMPL(midprice) IMPL(linearreg) IMPL(obv) IMPL(mfi) IMPL(vwap)
IMPL(ichimoku)
#undef IMPL

#define SZ ((uint32_t)sizeof(ct_indicator_info))
/* An integer period option: name, default, min. */
#define PER(name, def, min) {name, def, min, 100000, 1, 1}
#define C1 {"close"}
#define HL {"high", "low"}
#define HLC {"high", "low", "close"}
#define HLCV {"high", "low", "close", "volume"}

static const ct_indicator_info k_table[] = {
    /* overlap studies */
    {SZ, "sma", "Simple Moving Average", "overlap", 1, 1, 1, C1, {PER("period", 20, 1)}, {"sma"}, &ct__impl_sma},
    {SZ, "ema", "Exponential Moving Average", "overlap", 1, 1, 1, C1, {PER("period", 20, 1)}, {"ema"}, &ct__impl_ema},
    {SZ, "wma", "Weighted Moving Average", "overlap", 1, 1, 1, C1, {PER("period", 20, 1)}, {"wma"}, &ct__impl_wma},
    {SZ, "dema", "Double Exponential Moving Average", "overlap", 1, 1, 1, C1, {PER("period", 20, 1)}, {"dema"}, &ct__impl_dema},
    {SZ, "tema", "Triple Exponential Moving Average", "overlap", 1, 1, 1, C1, {PER("period", 20, 1)}, {"tema"}, &ct__impl_tema},
    {SZ, "trima", "Triangular Moving Average", "overlap", 1, 1, 1, C1, {PER("period", 20, 1)}, {"trima"}, &ct__impl_trima},
    {SZ, "kama", "Kaufman Adaptive Moving Average", "overlap", 1, 1, 1, C1, {PER("period", 10, 1)}, {"kama"}, &ct__impl_kama},
    {SZ, "hma", "Hull Moving Average", "overlap", 1, 1, 1, C1, {PER("period", 20, 2)}, {"hma"}, &ct__impl_hma},
    {SZ, "bbands", "Bollinger Bands", "overlap", 1, 3, 3, C1,
     {PER("period", 20, 2), {"nbdev_up", 2, -1e6, 1e6, 0.5, 0}, {"nbdev_dn", 2, -1e6, 1e6, 0.5, 0}},
     {"upper", "middle", "lower"}, &ct__impl_bbands},
    {SZ, "keltner", "Keltner Channels (EMA ± mult × ATR)", "overlap", 3, 3, 3, HLC,
     {PER("period", 20, 1), PER("atr_period", 10, 1), {"mult", 2, 0, 1e6, 0.5, 0}},
     {"upper", "middle", "lower"}, &ct__impl_keltner},
    {SZ, "donchian", "Donchian Channels", "overlap", 2, 1, 3, HL, {PER("period", 20, 1)},
     {"upper", "middle", "lower"}, &ct__impl_donchian},
    {SZ, "midpoint", "MidPoint over period", "overlap", 1, 1, 1, C1, {PER("period", 14, 1)}, {"midpoint"}, &ct__impl_midpoint},
    {SZ, "midprice", "Midpoint Price over period", "overlap", 2, 1, 1, HL, {PER("period", 14, 1)}, {"midprice"}, &ct__impl_midprice},
    {SZ, "sar", "Parabolic SAR", "overlap", 2, 2, 1, HL,
     {{"acceleration", 0.02, 0, 1e6, 0.01, 0}, {"maximum", 0.2, 0, 1e6, 0.05, 0}}, {"sar"}, &ct__impl_sar},
    {SZ, "supertrend", "SuperTrend", "overlap", 3, 2, 2, HLC,
     {PER("period", 10, 1), {"mult", 3, 0, 1e6, 0.5, 0}}, {"supertrend", "direction"}, &ct__impl_supertrend},
    {SZ, "ichimoku", "Ichimoku Kinko Hyo", "overlap", 2, 4, 4, HL,
     {PER("tenkan", 9, 1), PER("kijun", 26, 1), PER("senkou", 52, 1), {"displacement", 26, 0, 100000, 1, 1}},
     {"tenkan", "kijun", "senkou_a", "senkou_b"}, &ct__impl_ichimoku},
    {SZ, "vwap", "Rolling Volume Weighted Average Price", "overlap", 4, 1, 1, HLCV, {PER("period", 20, 1)},
     {"vwap"}, &ct__impl_vwap},
    {SZ, "linearreg", "Linear Regression", "overlap", 1, 1, 1, C1, {PER("period", 14, 2)}, {"linearreg"}, &ct__impl_linearreg},
    /* momentum */
    {SZ, "rsi", "Relative Strength Index", "momentum", 1, 1, 1, C1, {PER("period", 14, 2)}, {"rsi"}, &ct__impl_rsi},
    {SZ, "stochrsi", "Stochastic RSI", "momentum", 1, 3, 2, C1,
     {PER("period", 14, 2), PER("fastk_period", 5, 1), PER("fastd_period", 3, 1)}, {"fastk", "fastd"}, &ct__impl_stochrsi},
    {SZ, "macd", "Moving Average Convergence/Divergence", "momentum", 1, 3, 3, C1,
     {PER("fast", 12, 2), PER("slow", 26, 2), PER("signal", 9, 1)}, {"macd", "signal", "hist"}, &ct__impl_macd},
    {SZ, "ppo", "Percentage Price Oscillator (SMA)", "momentum", 1, 2, 1, C1,
     {PER("fast", 12, 2), PER("slow", 26, 2)}, {"ppo"}, &ct__impl_ppo},
    {SZ, "stoch", "Stochastic (slow, SMA)", "momentum", 3, 3, 2, HLC,
     {PER("fastk_period", 14, 1), PER("slowk_period", 3, 1), PER("slowd_period", 3, 1)}, {"slowk", "slowd"}, &ct__impl_stoch},
    {SZ, "stochf", "Stochastic Fast (SMA)", "momentum", 3, 2, 2, HLC,
     {PER("fastk_period", 5, 1), PER("fastd_period", 3, 1)}, {"fastk", "fastd"}, &ct__impl_stochf},
    {SZ, "adx", "Average Directional Movement Index", "momentum", 3, 1, 1, HLC, {PER("period", 14, 2)}, {"adx"}, &ct__impl_adx},
    {SZ, "adxr", "Average Directional Movement Index Rating", "momentum", 3, 1, 1, HLC, {PER("period", 14, 2)}, {"adxr"}, &ct__impl_adxr},
    {SZ, "dx", "Directional Movement Index", "momentum", 3, 1, 1, HLC, {PER("period", 14, 2)}, {"dx"}, &ct__impl_dx},
    {SZ, "plus_di", "Plus Directional Indicator", "momentum", 3, 1, 1, HLC, {PER("period", 14, 2)}, {"plus_di"}, &ct__impl_plus_di},
    {SZ, "minus_di", "Minus Directional Indicator", "momentum", 3, 1, 1, HLC, {PER("period", 14, 2)}, {"minus_di"}, &ct__impl_minus_di},
    {SZ, "plus_dm", "Plus Directional Movement", "momentum", 2, 1, 1, HL, {PER("period", 14, 2)}, {"plus_dm"}, &ct__impl_plus_dm},
    {SZ, "minus_dm", "Minus Directional Movement", "momentum", 2, 1, 1, HL, {PER("period", 14, 2)}, {"minus_dm"}, &ct__impl_minus_dm},
    {SZ, "cci", "Commodity Channel Index", "momentum", 3, 1, 1, HLC, {PER("period", 20, 2)}, {"cci"}, &ct__impl_cci},
    {SZ, "willr", "Williams' %R", "momentum", 3, 1, 1, HLC, {PER("period", 14, 1)}, {"willr"}, &ct__impl_willr},
    {SZ, "mfi", "Money Flow Index", "momentum", 4, 1, 1, HLCV, {PER("period", 14, 1)}, {"mfi"}, &ct__impl_mfi},
    {SZ, "roc", "Rate of Change ((x/prev - 1) * 100)", "momentum", 1, 1, 1, C1, {PER("period", 10, 1)}, {"roc"}, &ct__impl_roc},
    {SZ, "mom", "Momentum", "momentum", 1, 1, 1, C1, {PER("period", 10, 1)}, {"mom"}, &ct__impl_mom},
    {SZ, "cmo", "Chande Momentum Oscillator", "momentum", 1, 1, 1, C1, {PER("period", 14, 2)}, {"cmo"}, &ct__impl_cmo},
    {SZ, "trix", "1-bar ROC of a Triple Smooth EMA", "momentum", 1, 1, 1, C1, {PER("period", 30, 1)}, {"trix"}, &ct__impl_trix},
    {SZ, "aroon", "Aroon", "momentum", 2, 1, 2, HL, {PER("period", 14, 1)}, {"down", "up"}, &ct__impl_aroon},
    {SZ, "aroonosc", "Aroon Oscillator", "momentum", 2, 1, 1, HL, {PER("period", 14, 1)}, {"aroonosc"}, &ct__impl_aroonosc},
    {SZ, "ultosc", "Ultimate Oscillator", "momentum", 3, 3, 1, HLC,
     {PER("period1", 7, 1), PER("period2", 14, 1), PER("period3", 28, 1)}, {"ultosc"}, &ct__impl_ultosc},
    {SZ, "bop", "Balance Of Power", "momentum", 4, 0, 1, {"open", "high", "low", "close"}, {{0}}, {"bop"}, &ct__impl_bop},
    /* volatility */
    {SZ, "atr", "Average True Range", "volatility", 3, 1, 1, HLC, {PER("period", 14, 1)}, {"atr"}, &ct__impl_atr},
    {SZ, "natr", "Normalized Average True Range", "volatility", 3, 1, 1, HLC, {PER("period", 14, 1)}, {"natr"}, &ct__impl_natr},
    {SZ, "trange", "True Range", "volatility", 3, 0, 1, HLC, {{0}}, {"trange"}, &ct__impl_trange},
    {SZ, "stddev", "Standard Deviation (population)", "volatility", 1, 2, 1, C1,
     {PER("period", 20, 2), {"nbdev", 1, -1e6, 1e6, 0.5, 0}}, {"stddev"}, &ct__impl_stddev},
    {SZ, "var", "Variance (population)", "volatility", 1, 1, 1, C1, {PER("period", 20, 1)}, {"var"}, &ct__impl_var},
    /* volume */
    {SZ, "obv", "On Balance Volume", "volume", 2, 0, 1, {"close", "volume"}, {{0}}, {"obv"}, &ct__impl_obv},
};

#define N_TABLE ((int32_t)(sizeof(k_table) / sizeof(k_table[0])))

int32_t ct_indicator_count(void) { return N_TABLE; }

const ct_indicator_info *ct_indicator_at(int32_t i) { return (i >= 0 && i < N_TABLE) ? &k_table[i] : NULL; }

static int name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return *a == *b;
}

const ct_indicator_info *ct_indicator_find(const char *name)
{
    if (!name)
        return NULL;
    for (int32_t i = 0; i < N_TABLE; i++)
        if (name_eq(k_table[i].name, name))
            return &k_table[i];
    return NULL;
}
