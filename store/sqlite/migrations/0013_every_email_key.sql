-- The key every email carries (policy.CarriedByEveryEmail, "x:all") is
-- answered from the timeline itself (timelineVisible, countHidden): its
-- audience rows and count copied the timeline row and the contact's total,
-- one row in four a logged email wrote to audience and audience_count.
DELETE FROM audience WHERE key = 'x:all';
DELETE FROM audience_count WHERE key = 'x:all';
