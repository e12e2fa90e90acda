//! `SessionRepository` cases: rotation, reuse detection, revocation, expiry, and atomic rotation.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use darkroom_core::domain::{RefreshToken, UserId};
use darkroom_core::ports::RefreshOutcome;
use uuid::Uuid;

use super::{create_user, now, unique, TestDatabase};

fn token(user: UserId, family: Uuid, expires_at: DateTime<Utc>) -> RefreshToken {
    RefreshToken {
        token_hash: unique("hash"),
        family_id: family,
        user_id: user,
        expires_at,
        used: false,
        revoked: false,
    }
}

/// A user and the first token of a fresh family, stored, valid for an hour.
async fn login(db: &TestDatabase) -> (UserId, RefreshToken) {
    let user = create_user(db).await;
    let first = token(user.id, Uuid::new_v4(), now() + Duration::hours(1));
    db.sessions.insert_refresh_token(&first).await.unwrap();
    (user.id, first)
}

async fn rotate(db: &TestDatabase, presented: &RefreshToken) -> (RefreshOutcome, RefreshToken) {
    let next = token(
        presented.user_id,
        presented.family_id,
        now() + Duration::hours(1),
    );
    let outcome = db
        .sessions
        .rotate_refresh_token(&presented.token_hash, &next, now())
        .await
        .unwrap();
    (outcome, next)
}

pub async fn refresh_tokens_rotate_and_reuse_revokes_the_family(db: Arc<TestDatabase>) {
    let (user, first) = login(db.as_ref()).await;
    let (outcome, second) = rotate(db.as_ref(), &first).await;
    assert_eq!(outcome, RefreshOutcome::Rotated { user_id: user });
    // The replacement was stored and rotates in turn.
    let (outcome, third) = rotate(db.as_ref(), &second).await;
    assert_eq!(outcome, RefreshOutcome::Rotated { user_id: user });

    // Someone presents the first (used) token again: the whole family goes.
    let (outcome, _) = rotate(db.as_ref(), &first).await;
    assert_eq!(outcome, RefreshOutcome::ReuseDetected);
    let (outcome, _) = rotate(db.as_ref(), &third).await;
    assert_eq!(
        outcome,
        RefreshOutcome::Invalid,
        "the newest token of a revoked family is invalid"
    );

    // Other families of the same user are untouched.
    let other = token(user, Uuid::new_v4(), now() + Duration::hours(1));
    db.sessions.insert_refresh_token(&other).await.unwrap();
    assert_eq!(
        rotate(db.as_ref(), &other).await.0,
        RefreshOutcome::Rotated { user_id: user }
    );
}

pub async fn unknown_expired_and_revoked_tokens_are_invalid(db: Arc<TestDatabase>) {
    let (user, live) = login(db.as_ref()).await;
    let unknown = token(user, Uuid::new_v4(), now() + Duration::hours(1));
    assert_eq!(
        rotate(db.as_ref(), &unknown).await.0,
        RefreshOutcome::Invalid
    );

    let expired = token(user, Uuid::new_v4(), now() - Duration::seconds(1));
    db.sessions.insert_refresh_token(&expired).await.unwrap();
    assert_eq!(
        rotate(db.as_ref(), &expired).await.0,
        RefreshOutcome::Invalid
    );

    let revoked = RefreshToken {
        revoked: true,
        ..token(user, Uuid::new_v4(), now() + Duration::hours(1))
    };
    db.sessions.insert_refresh_token(&revoked).await.unwrap();
    assert_eq!(
        rotate(db.as_ref(), &revoked).await.0,
        RefreshOutcome::Invalid
    );

    // Invalid tokens change nothing: the live one still rotates.
    assert_eq!(
        rotate(db.as_ref(), &live).await.0,
        RefreshOutcome::Rotated { user_id: user }
    );
}

pub async fn revoking_a_family_reports_unknown_tokens(db: Arc<TestDatabase>) {
    let (_, first) = login(db.as_ref()).await;
    let (_, second) = rotate(db.as_ref(), &first).await;
    // Logging out with any token of the family revokes all of it.
    assert!(db
        .sessions
        .revoke_refresh_family(&first.token_hash)
        .await
        .unwrap());
    assert_eq!(
        rotate(db.as_ref(), &second).await.0,
        RefreshOutcome::Invalid
    );
    assert!(!db
        .sessions
        .revoke_refresh_family(&unique("unknown"))
        .await
        .unwrap());
}

pub async fn concurrent_rotations_yield_exactly_one_rotated(db: Arc<TestDatabase>) {
    let (user, first) = login(db.as_ref()).await;
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            let first = first.clone();
            tokio::spawn(async move { rotate(db.as_ref(), &first).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for racer in racers {
        outcomes.push(racer.await.unwrap());
    }
    let winners: Vec<_> = outcomes
        .iter()
        .filter(|(o, _)| matches!(o, RefreshOutcome::Rotated { .. }))
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert_eq!(winners[0].0, RefreshOutcome::Rotated { user_id: user });
    // The losers presented a used token: at least one saw the reuse (the rest may find the family revoked).
    assert!(
        outcomes
            .iter()
            .any(|(o, _)| *o == RefreshOutcome::ReuseDetected),
        "{outcomes:?}"
    );
    // The reuse revoked the family, the winner's replacement with it.
    assert_eq!(
        rotate(db.as_ref(), &winners[0].1).await.0,
        RefreshOutcome::Invalid
    );
}

/// A family of `user`'s started at login, with ids that sort by start as the service's UUIDv7s do.
async fn session(db: &TestDatabase, user: UserId) -> RefreshToken {
    let first = token(user, Uuid::now_v7(), now() + Duration::hours(1));
    db.sessions.insert_refresh_token(&first).await.unwrap();
    first
}

async fn live_ids(db: &TestDatabase, user: UserId, before: Option<Uuid>, limit: u32) -> Vec<Uuid> {
    db.sessions
        .live_sessions(user, now(), before, limit)
        .await
        .unwrap()
        .into_iter()
        .map(|session| session.id)
        .collect()
}

pub async fn live_sessions_list_only_families_that_can_go_on(db: Arc<TestDatabase>) {
    let user = create_user(db.as_ref()).await.id;
    let stranger = create_user(db.as_ref()).await.id;
    let oldest = session(db.as_ref(), user).await;
    let logged_out = session(db.as_ref(), user).await;
    let reused = session(db.as_ref(), user).await;
    let refreshed = session(db.as_ref(), user).await;
    let newest = session(db.as_ref(), user).await;
    let expired = token(user, Uuid::now_v7(), now() - Duration::seconds(1));
    db.sessions.insert_refresh_token(&expired).await.unwrap();
    session(db.as_ref(), stranger).await;

    db.sessions
        .revoke_refresh_family(&logged_out.token_hash)
        .await
        .unwrap();
    rotate(db.as_ref(), &reused).await;
    assert_eq!(
        rotate(db.as_ref(), &reused).await.0,
        RefreshOutcome::ReuseDetected
    );
    // A refresh moves the session's end to its new token's.
    let later = token(user, refreshed.family_id, now() + Duration::hours(5));
    let outcome = db
        .sessions
        .rotate_refresh_token(&refreshed.token_hash, &later, now())
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Rotated { user_id: user });

    let live = db
        .sessions
        .live_sessions(user, now(), None, 10)
        .await
        .unwrap();
    let ids: Vec<Uuid> = live.iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        [newest.family_id, refreshed.family_id, oldest.family_id],
        "newest first; logged out, reused, expired and others' sessions left out"
    );
    let refreshed_end = live[1].expires_at;
    assert!(
        (refreshed_end - later.expires_at).num_milliseconds().abs() < 1,
        "{refreshed_end} is the refreshed token's end {}",
        later.expires_at
    );

    // Pages by id: below a cursor, at most `limit`.
    assert_eq!(live_ids(db.as_ref(), user, None, 2).await, ids[..2]);
    assert_eq!(
        live_ids(db.as_ref(), user, Some(ids[1]), 2).await,
        [oldest.family_id]
    );
    // Asked again (an adapter may tidy up what it found ended), the answer is the same.
    assert_eq!(live_ids(db.as_ref(), user, None, 10).await, ids);
}

pub async fn revoke_session_ends_only_the_owners_live_session(db: Arc<TestDatabase>) {
    let user = create_user(db.as_ref()).await.id;
    let stranger = create_user(db.as_ref()).await.id;
    let kept = session(db.as_ref(), user).await;
    let ended = session(db.as_ref(), user).await;

    assert!(
        !db.sessions
            .revoke_session(stranger, ended.family_id, now())
            .await
            .unwrap(),
        "another account's session is not theirs to end"
    );
    assert_eq!(
        live_ids(db.as_ref(), user, None, 10).await,
        [ended.family_id, kept.family_id]
    );

    assert!(db
        .sessions
        .revoke_session(user, ended.family_id, now())
        .await
        .unwrap());
    assert_eq!(rotate(db.as_ref(), &ended).await.0, RefreshOutcome::Invalid);
    assert_eq!(
        live_ids(db.as_ref(), user, None, 10).await,
        [kept.family_id]
    );
    // Ending it again, or a session that never was, reports nothing to end.
    assert!(!db
        .sessions
        .revoke_session(user, ended.family_id, now())
        .await
        .unwrap());
    assert!(!db
        .sessions
        .revoke_session(user, Uuid::now_v7(), now())
        .await
        .unwrap());
    assert_eq!(
        rotate(db.as_ref(), &kept).await.0,
        RefreshOutcome::Rotated { user_id: user }
    );
}
