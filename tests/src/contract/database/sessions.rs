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
