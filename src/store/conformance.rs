//! The one conformance suite every store backend must pass.
//!
//! Each check is an `async fn(&mut TestDb)` written once in `records.rs`,
//! `atomic.rs`, `audit_pending.rs`, `client_logo.rs`, `limits.rs`, `links.rs`, `outbox.rs`, `passwords.rs`, `requests.rs`, `retention.rs`, `roles.rs`, `console.rs`, `sandbox.rs`, `pushed.rs`, `dpop.rs`, `seen.rs`, `revocations.rs` or `client_jwks.rs`; the [`conformance!`] macro instantiates it as a `#[tokio::test]`
//! in `mod sqlite` (a fresh temp-file database per test) and in `mod postgres`
//! (a fresh `propusk_t_<random>` database per test, created through
//! `TEST_POSTGRES_URL`; skipped with a message when that variable is unset).
//!
//! Run: `cargo test --lib store::` and
//! `TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test --lib store::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod atomic;
mod audit_pending;
mod client_jwks;
mod client_logo;
mod console;
mod dpop;
mod fixtures;
mod harness;
mod limits;
mod links;
mod logout;
mod outbox;
mod passwords;
mod pushed;
mod records;
mod requests;
mod retention;
mod revocations;
mod roles;
mod sandbox;
mod seen;
mod subjects;
mod unlink;

macro_rules! conformance {
    ($($group:ident :: $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let mut db = super::harness::TestDb::sqlite().await;
                    super::$group::$name(&mut db).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(mut db) = super::harness::TestDb::postgres().await else {
                        eprintln!("skipped {}: TEST_POSTGRES_URL is not set", stringify!($name));
                        return;
                    };
                    super::$group::$name(&mut db).await;
                }
            )*
        }
    };
}

conformance! {
    records::open_picks_backend_from_url,
    records::directory_round_trip,
    records::directory_import_all_or_nothing,
    records::settings_round_trip,
    records::clients_round_trip,
    records::client_changes_at_once_apply_one_after_the_other,
    client_logo::client_logo_uri_stored_changed_and_removed,
    records::signing_keys_round_trip,
    records::signing_keys_retire,
    records::sessions_and_flows_expire,
    records::codes_grants_tokens_consents_round_trip,
    records::unique_violations_are_conflicts,
    records::consent_revoke_revokes_grants,
    records::consents_of_client_page_by_account,
    records::end_session_revokes_grants,
    records::remove_client_revokes_grants,
    atomic::ac_01_code_replay_revokes_grant,
    atomic::ac_02_parallel_code_exchange_one_winner,
    atomic::ac_05_expired_code_not_exchanged,
    atomic::rt_01_reuse_revokes_family,
    atomic::rt_02_parallel_rotation_at_most_one,
    atomic::rt_02_rotation_racing_revocation_leaves_no_live_token,
    atomic::rt_05_rotation_checks_client_account_and_caller,
    atomic::rt_03_rotation_survives_reopen,
    atomic::revoked_grant_invalidates_refresh,
    atomic::audit_chain_verifies,
    atomic::audit_group_commit_keeps_every_event,
    retention::audit_prune_exports_removes_and_verifies_from_the_anchor,
    retention::audit_prune_refuses_a_changed_anchor_or_row_and_one_of_two_at_once_wins,
    retention::audit_rows_removed_behind_the_anchors_back_are_found,
    atomic::two_nodes_keep_one_keyed_chain,
    audit_pending::pending_events_are_chained_once_by_chainers_at_once,
    audit_pending::readers_see_an_event_as_soon_as_it_is_written,
    audit_pending::a_pending_row_changed_in_the_database_is_refused,
    links::br_04_links_keyed_by_issuer_and_subject,
    links::br_06_link_notices_commit_with_the_change,
    links::rt_06_unlink_revokes_only_esia_grants,
    links::pd_consent_revoke_deletes_profile,
    links::default_account_upsert,
    links::confirm_relation_marks_relation,
    unlink::rt_07_esia_session_lives_only_while_linked,
    unlink::rt_07_unlink_ends_sessions_codes_and_grants,
    unlink::unlink_deletes_the_data_of_a_person_left_without_links,
    unlink::pd_consent_revocation_leaves_a_deletion_record,
    unlink::a_consent_nothing_rests_on_is_forgotten,
    outbox::outbox_round_trip_with_audit,
    outbox::outbox_due_oldest_first_limited,
    outbox::outbox_parallel_claims_never_overlap,
    outbox::outbox_claim_lease_runs_out,
    outbox::outbox_failure_backoff_and_give_up,
    logout::logout_notices_commit_with_end_session,
    logout::logout_notices_of_account_changes,
    logout::logout_notice_of_consent_revocation,
    logout::logout_outbox_parallel_claims_never_overlap,
    logout::logout_outbox_delivery_retry_and_give_up,
    logout::logout_notices_of_the_consoles_account_actions,
    requests::request_filed_once_with_mail_and_audit,
    requests::requests_listed_per_organisation,
    requests::request_decided_once_link_with_correction,
    requests::request_create_and_reject,
    requests::two_creates_of_one_login_never_merge_two_people,
    passwords::password_change_rotates_session_and_ends_the_others,
    passwords::password_change_needs_the_live_session,
    passwords::password_change_parallel_in_one_session_one_wins,
    passwords::password_reset_link_is_single_use,
    passwords::password_reset_parallel_use_one_winner,
    passwords::password_reset_expired_foreign_or_unknown_refused,
    limits::ab_01_parallel_hits_count_one_by_one,
    limits::ab_01_windows_and_locks_end,
    limits::ab_02_flows_are_stored_within_their_limit,
    roles::staff_roles_grant_and_revoke_with_their_events,
    roles::staff_role_granted_twice_at_once_is_one_event,
    roles::client_admin_roles_grant_and_revoke_with_their_events,
    sandbox::sandbox_rows_expire_and_are_purged,
    sandbox::sandbox_parallel_takes_one_winner,
    sandbox::change_feed_notifies_client_and_key_changes,
    pushed::pushed_request_taken_once_by_its_client,
    pushed::pushed_request_parallel_takes_one_winner,
    console::console_search_by_folded_name_or_login,
    console::console_search_pages_by_key_without_repeats_or_gaps,
    console::console_name_keys_filled_after_migrating,
    console::console_sessions_and_grants_of_account,
    console::console_end_sessions_keeps_grants,
    console::console_revoke_grants_of_one_client_or_all,
    console::console_disable_ends_everything_in_one_go,
    seen::seen_once_recorded_once_and_purged,
    seen::seen_once_parallel_records_one_first,
    dpop::dpop_jkt_kept_on_the_grant,
    revocations::revocations_read_since_a_moment,
    dpop::dpop_jkt_kept_on_the_code,
    client_jwks::client_jwks_round_trip,
}
