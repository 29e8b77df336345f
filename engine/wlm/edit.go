package wlm

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Update applies f to a copy of the running configuration and swaps the
// result in when it is valid; the running configuration is kept
// otherwise. It returns the new configuration (for persisting).
func (m *Manager) Update(f func(c *Config) error) (*Config, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.c.cfg.Clone()
	if err := f(c); err != nil {
		return nil, err
	}
	comp, err := compile(c)
	if err != nil {
		return nil, err
	}
	m.apply(comp)
	return comp.cfg.Clone(), nil
}

// QueueProps are the properties CREATE/ALTER QUEUE ... WITH (...) take.
var QueueProps = []string{"concurrency", "memory_percent", "user_groups", "query_groups", "queue_timeout", "exec_timeout", "priority"}

func (c *Config) queueIndex(name string) int {
	for i, q := range c.Queues {
		if normName(q.Name) == name {
			return i
		}
	}
	return -1
}

// CreateQueue adds a queue (before the default queue, so routing tries it
// first).
func (c *Config) CreateQueue(name string, props map[string]string, ifNotExists bool) error {
	name = normName(name)
	if name == DefaultQueue || c.queueIndex(name) >= 0 {
		if ifNotExists {
			return nil
		}
		return &ConfigError{Setting: "queue " + name, Msg: "queue already exists (use ALTER QUEUE)"}
	}
	q := QueueConfig{Name: name}
	if err := setQueueProps(&q, props); err != nil {
		return err
	}
	if i := c.queueIndex(DefaultQueue); i >= 0 {
		c.Queues = append(c.Queues[:i], append([]QueueConfig{q}, c.Queues[i:]...)...)
	} else {
		c.Queues = append(c.Queues, q)
	}
	return nil
}

// AlterQueue changes a queue's properties (the default queue too).
func (c *Config) AlterQueue(name string, props map[string]string) error {
	name = normName(name)
	i := c.queueIndex(name)
	if i < 0 {
		if name != DefaultQueue {
			return &ConfigError{Setting: "queue " + name, Msg: "no such queue"}
		}
		c.Queues = append(c.Queues, QueueConfig{Name: DefaultQueue})
		i = len(c.Queues) - 1
	}
	return setQueueProps(&c.Queues[i], props)
}

// DropQueue removes a queue and the rules attached to it.
func (c *Config) DropQueue(name string, ifExists bool) error {
	name = normName(name)
	if name == DefaultQueue || name == SuperuserQueue {
		return &ConfigError{Setting: "queue " + name, Msg: "the " + name + " queue cannot be dropped"}
	}
	i := c.queueIndex(name)
	if i < 0 {
		if ifExists {
			return nil
		}
		return &ConfigError{Setting: "queue " + name, Msg: "no such queue"}
	}
	c.Queues = append(c.Queues[:i], c.Queues[i+1:]...)
	rules := c.Rules[:0]
	for _, r := range c.Rules {
		if normName(r.Queue) != name {
			rules = append(rules, r)
		}
	}
	c.Rules = rules
	return nil
}

// CreateRule adds a monitoring rule.
func (c *Config) CreateRule(r RuleConfig, ifNotExists bool) error {
	name := normName(r.Name)
	for _, x := range c.Rules {
		if normName(x.Name) == name {
			if ifNotExists {
				return nil
			}
			return &ConfigError{Setting: "rule " + name, Msg: "rule already exists"}
		}
	}
	r.Name = name
	c.Rules = append(c.Rules, r)
	return nil
}

// DropRule removes a rule.
func (c *Config) DropRule(name string, ifExists bool) error {
	name = normName(name)
	for i, x := range c.Rules {
		if normName(x.Name) == name {
			c.Rules = append(c.Rules[:i], c.Rules[i+1:]...)
			return nil
		}
	}
	if ifExists {
		return nil
	}
	return &ConfigError{Setting: "rule " + name, Msg: "no such rule"}
}

func setQueueProps(q *QueueConfig, props map[string]string) error {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(props[k])
		at := "queue " + normName(q.Name) + "." + strings.ToLower(k)
		bad := func(err error) error { return &ConfigError{Setting: at, Msg: err.Error()} }
		switch strings.ToLower(k) {
		case "concurrency", "slots":
			n, err := strconv.Atoi(v)
			if err != nil {
				return bad(fmt.Errorf("%q is not a number of slots", v))
			}
			q.Concurrency = n
		case "memory_percent":
			n, err := strconv.Atoi(strings.TrimSuffix(v, "%"))
			if err != nil {
				return bad(fmt.Errorf("%q is not a percentage", v))
			}
			q.MemoryPercent = n
		case "user_groups", "user_group":
			q.UserGroups = splitList(v)
		case "query_groups", "query_group":
			q.QueryGroups = splitList(v)
		case "queue_timeout", "timeout":
			d, err := ParseDuration(v)
			if err != nil {
				return bad(err)
			}
			q.QueueTimeout = Duration(d)
		case "exec_timeout", "max_execution_time":
			d, err := ParseDuration(v)
			if err != nil {
				return bad(err)
			}
			q.ExecTimeout = Duration(d)
		case "priority":
			q.Priority = strings.ToLower(v)
		default:
			return &ConfigError{Setting: at, Msg: "unknown queue property (use " + strings.Join(QueueProps, ", ") + ")"}
		}
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
