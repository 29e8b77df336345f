package planner

import "testing"

// TestSmoke plans a spread of SQL forms; each must plan without error
// and pass the structural plan checks.
func TestSmoke(t *testing.T) {
	queries := []string{
		"select count(distinct a) from t",
		`select * from t where c like 'a\_%' escape '\\'`,
		"select a from t where c is not null and bo is true and bo is not false",
		"select sum(a) over () from t",
		"select a, lag(a, 1) over (order by a), lead(c, 2, 'x') over (partition by b order by a), rank() over (order by d desc) from t",
		"select a from t order by a + 1",
		"select a + 1 as x from t order by x",
		"select c, count(*) from t group by c order by count(*) desc",
		"select a from (select a from t) x where a in (select a from u where u.x = 'z')",
		"select * from t natural join u",
		"select t.a, u.a from t right join u on t.a = u.a",
		"select (select max(a) from u) + 1 from t",
		"select a from t where exists (select 1 from u where u.y > t.d)",
		"select distinct count(*) from t",
		"select a from t group by a having a > 1",
		"select 1 from t having count(*) > 0",
		"select concat(c, 'x', a), lpad(c, 5, '0'), left(c, 2), replace(c, 'a', 'b'), trim(c), ltrim(c), char_length(c), locate('a', c), instr(c, 'a'), reverse(c) from t",
		"select * from t limit 0",
		"select a from t where a between 1 and 3 and c not between 'a' and 'b'",
		"select date_add(f, interval 3 day), date_sub(g, interval 1 hour), datediff(f, '2020-01-01'), adddate(f, 2) from t",
		"select a from t where f > now() and g < current_timestamp and f <= curdate()",
		"select a from t union all select a from u union all select a from other.w",
		"select avg(a) from t where 1 = 0",
		"select -a, +a, not bo, a xor b from t",
		"select t1.a from t t1 join t t2 using (a)",
		"select t1.a from t t1, t t2 where t1.a = t2.b",
		"select a from t where a = (select max(a) from t t2 where t2.c = t.c)",
		"select a + 1, count(*) from t group by a + 1",
		"select a from t where a in (select a from u) and b in (select a from u)",
		"select a, (select count(*) from u) from t group by a",
		"select * from (select 1 as x union select 2) q",
		"select abs(d), round(d, 1), round(e, 2), floor(e), ceil(d), sqrt(e), power(a, 2), mod(a, 3), sign(d), greatest(a, h), least(d, 1), ln(e), exp(1), log10(100) from t",
		"select stddev(e), variance(e), var_samp(a), std(d), any_value(c) from t",
		"select quarter(f), week(f), dayofweek(f), dayofyear(f), hour(g), minute(g), second(g), extract(quarter from g) from t",
		"select cast(a as char), cast(c as signed), cast(d as double), cast(f as datetime), cast('1' as unsigned), convert('2020-01-01', date) from t",
		"select a from t where c in ('a', 'b') and a not in (1, 2) and d in (1, 2.5)",
		"select a from t where a = 1 or a = 2 or b = 3",
		"select case when a > 1 then 'x' end from t",
		"select ifnull(c, 'none'), coalesce(null, a), nullif(c, 'x') from t",
		"select a from t where (select count(*) from u where u.a = t.a) > 1",
		"select a, sum(d) from t group by a order by 2 desc limit 3",
		"select t.* from t where a > 0",
		"select tpch.t.a from tpch.t",
		"select a from t where not exists (select 1 from u where u.a = t.a and u.x <> t.c)",
		"select a from t where a in (select a from u where u.y = t.d)",
		"select first_value(a) over (partition by c order by a rows between unbounded preceding and unbounded following), ntile(4) over (order by a), cume_dist() over (order by a), percent_rank() over (order by a), dense_rank() over (order by a), row_number() over (order by a) from t",
		"select count(*) over (partition by c), avg(d) over (order by a range between unbounded preceding and current row) from t",
		"select c, sum(d), rank() over (order by sum(d) desc) from t group by c",
		"select a from t where c like concat('%', 'x', '%')",
		"select a from t order by c desc, 1",
		"select a, b from t where (a, b) = (1, 2)",
		"select a, (select x from u where u.a = t.a) from t",
		"select a from t where c = (select max(x) from u where u.a = t.a and u.y > 1)",
	}
	for _, q := range queries {
		p, err := planOf(t, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if err := checkPlan(p.Root); err != nil {
			t.Errorf("%s: %v", q, err)
		}
		for _, e := range allExprs(p.Root) {
			if err := checkContract(e); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	}
}
