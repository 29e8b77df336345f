package wlm

import "github.com/prometheus/client_golang/prometheus"

// metrics are WLM's Prometheus series.
type metrics struct {
	queued   *prometheus.GaugeVec
	running  *prometheus.GaugeVec
	slots    *prometheus.GaugeVec
	wait     *prometheus.HistogramVec
	admitted *prometheus.CounterVec
	timeouts *prometheus.CounterVec
	actions  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "tarn", Subsystem: "wlm", Name: "queue_length",
			Help: "Queries waiting for a slot, per queue."}, []string{"queue"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "tarn", Subsystem: "wlm", Name: "running_queries",
			Help: "Queries running, per queue."}, []string{"queue"}),
		slots: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "tarn", Subsystem: "wlm", Name: "slots_in_use",
			Help: "Slots held by running queries, per queue."}, []string{"queue"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "tarn", Subsystem: "wlm", Name: "queue_wait_seconds",
			Help:    "Time queries waited for their slots, per queue.",
			Buckets: []float64{.0001, .001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}, []string{"queue"}),
		admitted: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tarn", Subsystem: "wlm", Name: "admitted_total",
			Help: "Slot grants (admissions and hops), per queue."}, []string{"queue"}),
		timeouts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tarn", Subsystem: "wlm", Name: "queue_timeouts_total",
			Help: "Queries that gave up waiting (queue_timeout), per queue."}, []string{"queue"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "tarn", Subsystem: "wlm", Name: "rule_actions_total",
			Help: "Query monitoring rule actions (log, hop, abort), per rule."}, []string{"rule", "action"}),
	}
	for _, c := range []prometheus.Collector{m.queued, m.running, m.slots, m.wait, m.admitted, m.timeouts, m.actions} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// setQueue publishes a queue's gauges (m.mu held).
func (m *metrics) setQueue(q *queue) {
	n := q.def.name
	if q.removed {
		m.queued.DeleteLabelValues(n)
		m.running.DeleteLabelValues(n)
		m.slots.DeleteLabelValues(n)
		return
	}
	m.queued.WithLabelValues(n).Set(float64(len(q.waiters)))
	m.running.WithLabelValues(n).Set(float64(q.running))
	m.slots.WithLabelValues(n).Set(float64(q.used))
}
