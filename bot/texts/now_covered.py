"""What a resident reads when a need they were told waits for an organisation now has one."""

from __future__ import annotations

# It has been sent to the organisations, not claimed: no promise of a claim.
NOW_COVERED = (
    "ℹ️ 好消息：您的需求 <b>#{number}</b> 现在有服务组织负责这一类事情了，"
    "已经发给为您所在社区服务的组织。有组织认领后会在这里告诉您。"
)
