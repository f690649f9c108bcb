-- Migration: Add user preferences table
-- Version: 006
-- Date: 2025-01-25
-- Author: Developer Name
-- Depends: 001
-- Goal: Store interview preferences per user, one row each, readable only by its owner

-- Step: Table
-- Create user_preferences table
CREATE TABLE IF NOT EXISTS user_preferences (
    id UUID DEFAULT gen_random_uuid() PRIMARY KEY,
    user_id UUID REFERENCES profiles(id) ON DELETE CASCADE,
    preferences JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

-- Step: Index
-- Create indexes
CREATE INDEX IF NOT EXISTS idx_user_preferences_user_id ON user_preferences(user_id);

-- Step: Row-level security
-- Enable RLS
ALTER TABLE user_preferences ENABLE ROW LEVEL SECURITY;

-- Create policies (the seed used Supabase's auth.uid(); plain PostgreSQL has the session user)
CREATE POLICY "Users can manage their own preferences" ON user_preferences
    FOR ALL USING (user_id::text = current_setting('app.user_id', true));

-- VERIFY
-- Check: no profile lost
-- Expect: unchanged
SELECT count(*) FROM profiles;

-- Check: at most one preferences row per user
SELECT user_id, count(*) FROM user_preferences GROUP BY user_id HAVING count(*) > 1;

-- DOWN
-- Rollback script for migration 006

-- Drop policies
DROP POLICY IF EXISTS "Users can manage their own preferences" ON user_preferences;

-- Disable RLS
ALTER TABLE user_preferences DISABLE ROW LEVEL SECURITY;

-- Drop indexes
DROP INDEX IF EXISTS idx_user_preferences_user_id;

-- Drop table
DROP TABLE IF EXISTS user_preferences;
