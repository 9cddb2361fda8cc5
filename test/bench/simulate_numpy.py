"""The peer of `npm run bench simulate`: the same Monte Carlo model (simulations/finance/kernel.ts)
written in numpy, vectorised across paths with a loop over days, as a numpy user would write it.
Reads the compiled model as JSON; prints one JSON line: wall seconds of the simulation, peak
RSS, and a few summary numbers to check that the two implementations agree within their SEs.
Usage: python3 simulate_numpy.py MODEL.json PATHS SEED
"""
import json
import resource
import sys
import time

import numpy as np

HALVING = 210_000


def main():
    model = json.load(open(sys.argv[1]))
    n = int(sys.argv[2])
    rng = np.random.default_rng(int(sys.argv[3]))
    t0 = time.perf_counter()
    c0 = time.process_time()
    out = simulate(model, n, rng)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wallS": wall, "cpuS": cpu, "peakRssMb": peak_kb / 1024, **out}))


def dispatch_table(shape):
    shape = np.asarray(shape, dtype=float).reshape(12, 24)
    sorted_ = np.zeros((12, 24))
    sum_shape = np.zeros((12, 25))
    restarts = np.zeros((12, 25))
    for c in range(12):
        hours = sorted(range(24), key=lambda h: (shape[c, h], h))
        on = np.zeros(24, dtype=bool)
        for k in range(25):
            if k > 0:
                h = hours[k - 1]
                on[h] = True
                sorted_[c, k - 1] = shape[c, h]
                sum_shape[c, k] = sum_shape[c, k - 1] + shape[c, h]
            restarts[c, k] = np.sum(on & ~np.roll(on, 1))
    return sorted_, sum_shape, restarts


def geometric_month(rng, q, n):
    u = rng.random(n)
    if q <= 0:
        return np.full(n, 1 << 30)
    if q >= 1:
        return np.zeros(n, dtype=np.int64)
    return np.floor(np.log(u) / np.log(1 - q)).astype(np.int64)


def simulate(md, n, rng):
    M = md["months"]
    days_in_month = md["daysInMonth"]
    cal_of_day = md["calMonthOfDay"]
    btc, chain, power = md["btc"], md["chain"], md["power"]
    sorted_, sum_shape, restarts_t = dispatch_table(power["shape"])
    blocks = md["blocks"]
    phs_kept = np.array([b["phs"] * b["keptShare"] / 24 for b in blocks])
    wall = np.array([b["wallMw"] for b in blocks])
    restart_cost = np.array([b["restartCostUsd"] for b in blocks])
    opex = np.array([b["opexUsdPerMonth"] for b in blocks])
    mu = btc["driftPerDay"] - 0.5 * btc["volPerSqrtDay"] ** 2
    sig = btc["volPerSqrtDay"]
    jump_p = btc["jumpProbPerDay"]
    shock = np.asarray(btc["shockLogPerDay"])
    base_price = np.asarray(btc["basePriceUsd"])
    lag = max(0, round(chain["lagDays"]))
    el = chain["elasticity"]
    drift = np.asarray(chain["hashrateDriftCum"])
    hp_trend = np.asarray(chain["hashpriceTrendUsd"])
    fee_share = chain["feeShare"]
    start_sub = chain["startSubsidyBtc"]
    retarget = chain["retargetBlocks"]
    kappa, sig_l = power["reversionPerDay"], power["volPerSqrtDay"]
    base_power = np.asarray(power["basePriceUsdPerMwh"])
    storm_p, storm_mult, storm_len = power["stormProbPerDay"], power["stormMultiplier"], power["stormDays"]
    W = md["windowMonths"]
    tenants = md["tenants"]
    loans = md["btcLoans"]
    decisions = md["decisions"]

    tenant_default = [t["forcedDefaultMonth"] if t["forcedDefaultMonth"] >= 0 else None for t in tenants]
    tenant_default = [np.full(n, f) if f is not None else geometric_month(rng, t["defaultProbPerMonth"], n) for f, t in zip(tenant_default, tenants)]
    dec_delay = [rng.integers(0, d["maxDelayMonths"] + 1, n) for d in decisions]
    dec_overrun = [np.maximum(-1, d["overrunMean"] + d["overrunSd"] * rng.standard_normal(n)) for d in decisions]
    dec_default = [geometric_month(rng, d["defaultProbPerMonth"], n) for d in decisions]

    x = np.zeros(n)
    ring = np.zeros((lag + 1, n))
    y_ret = np.zeros(n)
    height = np.full(n, float(chain["startHeight"]))
    next_ret = (np.floor(height / retarget) + 1) * retarget
    z = np.zeros(n)
    storm_left = np.zeros(n, dtype=np.int64)
    margin_call = np.full((len(loans), n), -1)
    loan_bal = np.array([[l["balanceUsd"]] * n for l in loans], dtype=float).reshape(len(loans), n)
    loan_pledged = np.array([[l["btcPledged"]] * n for l in loans], dtype=float).reshape(len(loans), n)
    free_btc = np.full(n, float(md["freeBtc"]))
    cured = np.zeros(n)
    debt_now = np.zeros((M, n))
    bal_end = np.zeros((len(loans), M, n))
    pledged_end = np.zeros((len(loans), M, n))
    block_margin = np.zeros((len(blocks), M, n))
    ebitda = np.zeros((M, n))
    cash_m = np.zeros((M, n))
    price_end = np.zeros((M, n))
    cash = np.full(n, md["startCashUsd"])
    max_days = max(days_in_month)
    day_hp = np.zeros((max_days, n))
    day_level = np.zeros((max_days, n))
    d = 0
    for m in range(M):
        nd = days_in_month[m]
        month_cure = np.zeros(n)
        for j in range(nd):
            if sig > 0 or mu != 0:
                x += mu + sig * rng.standard_normal(n)
                if jump_p > 0:
                    jumped = rng.random(n) < jump_p
                    x += jumped * (btc["jumpLogMean"] + btc["jumpLogSd"] * rng.standard_normal(n))
            x += shock[d]
            ring[(d + 1) % (lag + 1)] = x
            src = d + 1 - lag
            xs = ring[src % (lag + 1)] if src > 0 else 0.0
            y = el * xs + drift[d + 1]
            day_hp[j] = np.exp(x - y_ret)
            height += 144 * np.exp(y - y_ret)
            hit = height >= next_ret
            y_ret = np.where(hit, y, y_ret)
            next_ret = np.where(hit, (np.floor(height / retarget) + 1) * retarget, next_ret)
            if sig_l > 0:
                z += -kappa * z + sig_l * rng.standard_normal(n)
            in_storm = storm_left > 0
            storm_left[in_storm] -= 1
            if storm_p > 0:
                start = ~in_storm & (rng.random(n) < storm_p)
                storm_left[start] = storm_len
            day_level[j] = base_power[m] * np.exp(z) * np.where(storm_left > 0, storm_mult, 1.0)
            price = base_price[m] * np.exp(x)
            for li, loan in enumerate(loans):
                if loan["fromDay"] <= d < loan["toDay"]:
                    barrier = loan_bal[li] / (loan_pledged[li] * loan["marginCallLtv"])
                    call = (loan_bal[li] > 0) & (price <= barrier)
                    if call.any():
                        margin_call[li][call & (margin_call[li] == -1)] = m
                        post = np.where(call, np.minimum(free_btc, np.maximum(0, loan_bal[li] / (loan["cureLtv"] * price) - loan_pledged[li])), 0.0)
                        free_btc -= post
                        loan_pledged[li] += post
                        paydown = np.where(call, np.maximum(0, loan_bal[li] - loan["cureLtv"] * loan_pledged[li] * price), 0.0)
                        loan_bal[li] -= paydown
                        month_cure += paydown
            d += 1
        price_end[m] = price
        for li in range(len(loans)):
            bal_end[li, m] = loan_bal[li]
            pledged_end[li, m] = loan_pledged[li]
        last = np.floor(height) - 1
        subsidy = 50 / 2.0 ** np.floor(last / HALVING)
        hp_month = hp_trend[m] * (fee_share + (1 - fee_share) * subsidy / start_sub)
        hp = hp_month * day_hp[:nd]
        level = day_level[:nd]
        cal = cal_of_day[d - 1]
        mining = np.zeros(n)
        for b in range(len(blocks)):
            rph = hp * phs_kept[b]
            k = np.searchsorted(sorted_[cal], rph / (wall[b] * level), side="right")
            margin_b = (rph * k - level * sum_shape[cal][k] * wall[b] - restarts_t[cal][k] * restart_cost[b]).sum(axis=0)
            block_margin[b, m] = margin_b
            mining += margin_b - opex[b]
        rent = np.zeros(n)
        for t, dm in zip(tenants, tenant_default):
            r = t["rentUsd"][m]
            rent += np.where(m < dm, r, r * t["recoveryShare"])
        ai = rent - rent * md["aiOpexShare"] - md["aiEnergyMwh"][m] * level.mean(axis=0)
        e = mining + ai - md["gAndAUsd"][m]
        ebitda[m] = e
        capex = sum(c["capexUsd"][m] for c in md["conversions"])
        cash = cash + e - md["debtServiceUsd"][m] - capex - month_cure
        cash_m[m] = cash
        cured += month_cure
        debt_now[m] = md["debtOutstandingUsd"][m] - cured

    ds = np.asarray(md["debtServiceUsd"])
    pe = np.vstack([np.zeros(n), np.cumsum(ebitda, axis=0)])
    pd = np.concatenate([[0.0], np.cumsum(ds)])
    dscr = np.full((M, n), np.nan)
    for m in range(M - W + 1):
        if pd[m + W] - pd[m] > 0:
            dscr[m] = (pe[m + W] - pe[m]) / (pd[m + W] - pd[m])
    breaches = []
    for c in md["covenants"]:
        any_b = np.zeros(n, dtype=bool)
        for t, m in enumerate(c["testMonths"]):
            if c["kind"] == "min-dscr":
                ok = np.isnan(dscr[m]) | (dscr[m] >= c["threshold"])
            elif c["kind"] == "min-liquidity-usd":
                ok = cash_m[m] >= c["threshold"]
            elif c["kind"] == "max-net-leverage":
                annual = (pe[m + W] - pe[m]) * 12 / W
                net = debt_now[m] - cash_m[m]
                ok = np.where(annual > 0, net / np.where(annual > 0, annual, 1) <= c["threshold"], net <= 0)
            else:
                li = c["loanIndex"]
                bal = np.minimum(c["balanceUsd"][t], bal_end[li, m]) if li >= 0 else c["balanceUsd"][t]
                coll = (pledged_end[li, m] if li >= 0 else c["btcPledged"]) * price_end[m]
                ok = (coll > 0) & (bal / np.where(coll > 0, coll, 1) * 100 <= c["threshold"])
            any_b |= ~ok
        breaches.append(float(any_b.mean()))
    disc = np.asarray(md["discount"])
    npv = []
    for k, dm in enumerate(decisions):
        keep = (disc[:, None] * (block_margin[dm["blockIndex"]] - opex[dm["blockIndex"]])).sum(axis=0)
        conv = -(disc * np.asarray(dm["convertCapexUsd"])).sum() * (1 + dec_overrun[k])
        ready = dm["readyMonth"] + dec_delay[k]
        rents = np.asarray(dm["convertRentUsd"])
        for m in range(M):
            idx = m - ready
            ok = (idx >= 0) & (idx < len(rents))
            r = np.where(ok, rents[np.clip(idx, 0, len(rents) - 1)], 0.0)
            conv = conv + disc[m] * np.where(m < dec_default[k], r, r * dm["recoveryShare"])
        npv.append(float(np.median(keep)))
    last_cash = cash_m[M - 1]
    return {
        "cashEndMean": float(last_cash.mean()),
        "cashEndSe": float(last_cash.std(ddof=1) / np.sqrt(n)),
        "anyBreach": breaches,
        "marginCall": [float((mc >= 0).mean()) for mc in margin_call],
        "keepNpvMedian": npv,
    }


if __name__ == "__main__":
    main()
