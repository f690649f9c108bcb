-- Migration: Create user profiles
-- Version: 001
-- Date: 2025-01-20
-- Author: Platform team
-- Goal: Every account gets a profile row the rest of the schema can point at

-- Step: Profiles table
CREATE TABLE IF NOT EXISTS profiles (
    id UUID DEFAULT gen_random_uuid() PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

COMMENT ON TABLE profiles IS 'One row per account';

-- VERIFY
-- Check: profiles table exists
-- Expect: true
SELECT to_regclass('public.profiles') IS NOT NULL;

-- DOWN
-- Rollback script for migration 001

DROP TABLE IF EXISTS profiles;
