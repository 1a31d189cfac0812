//! The exact percentage split.
//!
//! The goal: after N enquiries, every destination has been offered within one
//! enquiry of `N × share`, at every N, deterministically. Picking the largest
//! deficit `share × (N+1) − count` alone does not guarantee that: with shares
//! 1/4/49/4/42 it drifts 1.06 enquiries from its share after 43. So we use
//! Balinski & Young's *quota method*, which provably stays within quota:
//! among the destinations still below their upper quota (`count < share ×
//! (N+1)`) choose the largest `share / (count + 1)`, ties by list order.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::DestinationId;

/// The order to try percentage destinations for the next enquiry: the one
/// whose turn it is first, then the rest by weight (ties by list order) for
/// when it cannot take the enquiry. `counts` is the persistent tally of
/// enquiries offered per destination; ids missing from it count zero, ids
/// not in `destinations` are ignored.
pub fn percentage_order(
    destinations: &[(DestinationId, u8)],
    counts: &BTreeMap<DestinationId, u64>,
) -> Vec<usize> {
    if destinations.is_empty() {
        return Vec::new();
    }
    let count = |i: usize| counts.get(&destinations[i].0).copied().unwrap_or(0);
    let total: u64 = (0..destinations.len()).map(count).sum();
    let weight = |i: usize| u64::from(destinations[i].1);
    // Below upper quota: count < share × (N+1), in whole numbers ×100.
    let below_quota =
        |i: usize| u128::from(count(i)) * 100 < u128::from(weight(i)) * u128::from(total + 1);
    // share_a / (count_a + 1) compared with share_b / (count_b + 1), exactly.
    let priority = |a: usize, b: usize| {
        (u128::from(weight(a)) * u128::from(count(b) + 1))
            .cmp(&(u128::from(weight(b)) * u128::from(count(a) + 1)))
    };
    let mut first = None;
    for i in (0..destinations.len()).filter(|&i| below_quota(i)) {
        match first {
            Some(best) if priority(i, best) != Ordering::Greater => {}
            _ => first = Some(i),
        }
    }
    // Percentages sum to 100, so someone is always below quota; if a stale
    // tally says otherwise, the heaviest destination goes first.
    let mut order: Vec<usize> = (0..destinations.len()).collect();
    order.sort_by(|&a, &b| weight(b).cmp(&weight(a)).then(a.cmp(&b)));
    if let Some(first) = first {
        order.retain(|&i| i != first);
        order.insert(0, first);
    }
    order
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn weighted(percents: &[u8]) -> Vec<(DestinationId, u8)> {
        percents
            .iter()
            .enumerate()
            .map(|(i, p)| (DestinationId(format!("d{i}")), *p))
            .collect()
    }

    /// Runs `n` enquiries where the first choice always takes it; checks the
    /// split after every one and returns the final counts.
    fn run(percents: &[u8], n: u64) -> Vec<u64> {
        let destinations = weighted(percents);
        let mut counts = BTreeMap::new();
        for done in 1..=n {
            let first = percentage_order(&destinations, &counts)[0];
            *counts.entry(destinations[first].0.clone()).or_insert(0) += 1;
            for (id, percent) in &destinations {
                let count = counts.get(id).copied().unwrap_or(0);
                let drift =
                    (i128::from(count) * 100 - i128::from(done) * i128::from(*percent)).abs();
                assert!(drift < 100, "{percents:?}: {id} has {count} after {done}");
            }
        }
        destinations
            .iter()
            .map(|(id, _)| counts.get(id).copied().unwrap_or(0))
            .collect()
    }

    #[test]
    fn seventy_thirty_gives_seven_and_three_of_every_ten() {
        assert_eq!(run(&[70, 30], 10), vec![7, 3]);
        assert_eq!(run(&[70, 30], 1000), vec![700, 300]);
    }

    #[test]
    fn the_split_that_defeats_the_plain_largest_deficit_stays_within_one() {
        run(&[1, 4, 49, 4, 42], 500);
        run(&[53, 34, 11, 1, 1], 500);
    }

    #[test]
    fn equal_shares_take_turns_in_list_order() {
        let destinations = weighted(&[50, 50]);
        let counts = BTreeMap::new();
        assert_eq!(percentage_order(&destinations, &counts), vec![0, 1]);
        let counts = BTreeMap::from([(DestinationId("d0".into()), 1)]);
        assert_eq!(percentage_order(&destinations, &counts), vec![1, 0]);
    }

    #[test]
    fn fallbacks_come_heaviest_first() {
        let destinations = weighted(&[10, 60, 30]);
        // After two enquiries to d1, d2 (30) is due; should it be unable to
        // take the third, d1 (60) is tried next, then d0 (10).
        let counts = BTreeMap::from([(DestinationId("d1".into()), 2)]);
        assert_eq!(percentage_order(&destinations, &counts), vec![2, 1, 0]);
    }

    #[test]
    fn tallies_of_removed_destinations_are_ignored() {
        let destinations = weighted(&[50, 50]);
        let counts = BTreeMap::from([(DestinationId("gone".into()), 40)]);
        assert_eq!(percentage_order(&destinations, &counts)[0], 0);
    }

    fn percentages() -> impl Strategy<Value = Vec<u8>> {
        // 2 to 5 whole percentages, each at least 1, summing to 100.
        (2usize..=5).prop_flat_map(|k| {
            proptest::sample::subsequence((1u8..100).collect::<Vec<_>>(), k - 1).prop_map(|cuts| {
                let mut bounds = vec![0u8];
                bounds.extend(cuts);
                bounds.push(100);
                bounds.windows(2).map(|w| w[1] - w[0]).collect()
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn every_count_stays_within_one_of_its_share_over_long_runs(percents in percentages(), n in 1u64..1500) {
            prop_assert_eq!(percents.iter().map(|p| u32::from(*p)).sum::<u32>(), 100);
            let counts = run(&percents, n);
            prop_assert_eq!(counts.iter().sum::<u64>(), n);
        }
    }
}
