"""The risk register of an event (seed 02 风险识别与预防): risks with their history, the 5 × 5 heat map,
the quantitative assessment from past incidents (定量分析法) and expert review rounds (专家评估法)."""
