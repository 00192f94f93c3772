"""Multi-faceted judge models: one fine-tuned vision-language model scoring several aspects of a video."""
