"""Loaders of real data formats: counts, exact timestamps, the documented
mappings, and error reports that name file, line and field.

Fixture rows are either the extracts already in tests/data (read-only, see their
ATTRIBUTION.md) or a few rows written into ``tmp_path`` by the tests: MovieLens
rows are made up in the ml-100k / ml-latest formats; the full-format Reddit rows
are copied from ``reddit_top_2013/data/{Python,MachineLearning}.csv`` (PDDL 1.0,
GitHub umbrae/reddit-top-2.5-million); the full-format Hacker News rows from
``hn_frontpage_daily/frontpage_snapshots.csv.gz`` (MIT, GitHub paradite/hn-ratio).
"""

from __future__ import annotations

import csv
import gzip
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pytest

import feedrank as fr
from feedrank.datasets.hacker_news import load_hacker_news
from feedrank.datasets.movielens import load_movielens, movielens_grade
from feedrank.datasets.reddit import load_reddit
from feedrank.datasets.twitter import load_twitter
from feedrank.evaluate.movielens import movielens_qrels
from feedrank.models import InteractionKind as K

DATA = Path(__file__).resolve().parents[1] / "data"
UTC = timezone.utc


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


# ------------------------------------------------------------------ MovieLens
U_DATA = (
    "196\t242\t3\t881250949\n"
    "186\t302\t3\t891717742\n"
    "22\t377\t1\t878887116\n"
    "244\t51\t2\t880606923\n"
    "166\t346\t1\t886397596\n"
    "298\t474\t4\t884182806\n"
    "115\t265\t2\t881171488\n"
    "253\t465\t5\t891628467\n"
    "305\t451\t3\t886324817\n"
    "6\t86\t3\t883603013\n"
    "62\t257\t2\t879372434\n"
    "286\t1014\t5\t879781125\n"
    "200\t242\t5\t876042340\n"
)

RATINGS_CSV = (
    "userId,movieId,rating,timestamp\n"
    "1,1,4.0,964982703\n"
    "1,3,4.0,964981247\n"
    "1,6,4.5,964982224\n"
    "2,1,3.5,1445714835\n"
    "2,6,0.5,1445715000\n"
    "3,3,5.0,1306463578\n"
)


def test_u_data_ratings_columns_and_exact_times(tmp_path: Path) -> None:
    path = tmp_path / "u.data"
    path.write_text(U_DATA)
    ml = load_movielens(path)
    assert len(ml) == 13
    assert ml.errors == []
    assert ml.user_ids[:3].tolist() == ["196", "186", "22"]
    assert ml.item_ids[-1] == "242"
    assert ml.ratings.tolist()[:4] == [3.0, 3.0, 1.0, 2.0]
    assert ml.rated_at[0] == 881250949 * 1_000_000
    assert ml.lines.tolist() == list(range(1, 14))
    assert ml.source == str(path)


def test_u_data_posts_interactions_and_qrels(tmp_path: Path) -> None:
    path = tmp_path / "u.data"
    path.write_text(U_DATA)
    ml = load_movielens(path)
    posts = {p.id: p for p in ml.posts}
    assert len(posts) == 12  # item 242 was rated twice
    assert [p.id for p in ml.posts] == sorted(posts)
    both = posts["242"]
    # created_at is the item's first rating (user 200 at 876042340), exactly
    assert both.created_at == utc(1997, 10, 5, 9, 5, 40)
    assert both.created_at == datetime.fromtimestamp(876042340, tz=UTC)
    assert both.author_id == "242"
    assert both.counts == {K.VIEW: 2, K.LIKE: 1}
    assert both.features == {"mean_rating": 4.0}
    kinds = [(i.viewer_id, i.post_id, i.kind, i.value) for i in ml.interactions]
    assert len(kinds) == 13
    assert kinds[0] == ("196", "242", K.VIEW, 3.0)
    assert kinds[5] == ("298", "474", K.LIKE, 4.0)
    assert ml.interactions[0].at == datetime.fromtimestamp(881250949, tz=UTC)
    qrels = movielens_qrels(ml)
    assert qrels.relevance.tolist() == [1, 1, 0, 0, 0, 2, 0, 3, 1, 1, 0, 3, 3]
    assert qrels.query_ids.tolist() == ml.user_ids.tolist()
    assert qrels.doc_ids.tolist() == ml.item_ids.tolist()
    assert qrels.grades_for("200", ["242", "86", "nope"]).tolist() == [3, 0, 0]
    batch = ml.batch()
    assert len(batch) == 12
    assert batch.count("view").sum() == 13


def test_ratings_csv_half_stars_and_like_threshold(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(RATINGS_CSV)
    ml = load_movielens(path, like_threshold=4.5)
    assert len(ml) == 6
    assert ml.ratings.tolist() == [4.0, 4.0, 4.5, 3.5, 0.5, 5.0]
    assert ml.lines.tolist() == [2, 3, 4, 5, 6, 7]  # the header is line 1
    assert ml.rated_at[3] == 1445714835_000_000
    kinds = [i.kind for i in ml.interactions]
    assert kinds == [K.VIEW, K.VIEW, K.LIKE, K.VIEW, K.VIEW, K.LIKE]
    posts = {p.id: p for p in ml.posts}
    assert posts["6"].counts == {K.VIEW: 2, K.LIKE: 1}
    assert posts["6"].features["mean_rating"] == 2.5
    assert posts["1"].created_at == datetime.fromtimestamp(964982703, tz=UTC)
    assert movielens_qrels(ml).relevance.tolist() == [2, 2, 2, 1, 0, 3]


def test_ratings_dat_and_gzip(tmp_path: Path) -> None:
    dat = tmp_path / "ratings.dat"
    dat.write_text("1::1193::5::978300760\n1::661::3::978302109\n")
    assert load_movielens(dat).item_ids.tolist() == ["1193", "661"]
    gz = tmp_path / "u.data.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write(U_DATA)
    assert len(load_movielens(gz)) == 13
    forced = tmp_path / "ratings.txt"
    forced.write_text(RATINGS_CSV)
    assert len(load_movielens(forced, format="ratings.csv")) == 6


def test_movielens_grade_mapping() -> None:
    stars = np.arange(1, 11) / 2.0
    assert movielens_grade(stars).tolist() == [0, 0, 0, 0, 0, 1, 1, 2, 2, 3]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("7\t8\tfive\t881250949", "rating", "'five' is not a number"),
        ("7\t8\t6\t881250949", "rating", "rating 6 is out of range"),
        ("7\t8\t4\t-5", "timestamp", "'-5' is not a timestamp"),
        ("7\t\t4\t881250949", "item", "is empty"),
        ("7\t8\t4", None, "row has 3 fields"),
    ],
)
def test_movielens_bad_row_names_file_line_field(
    tmp_path: Path, line: str, field: str | None, message: str
) -> None:
    path = tmp_path / "u.data"
    path.write_text("1\t2\t3\t881250949\n\n" + line + "\n")
    with pytest.raises(fr.InputError) as info:
        load_movielens(path)
    err = info.value
    assert (err.source, err.line, err.field, err.message) == (str(path), 3, field, message)
    assert f"{path}:3" in str(err)


def test_movielens_collect_keeps_good_rows_and_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(RATINGS_CSV + "4,9,nan,1306463578\n1,3,2.0,964981300\n5,10,3.0,1306463579\n")
    ml = load_movielens(path, errors="collect")
    assert len(ml) == 7
    assert [(e.line, e.field) for e in ml.errors] == [(8, "rating"), (9, "movieId")]
    assert "rated item '3' again (first on line 3)" in ml.errors[1].message
    with pytest.raises(fr.InputError, match="rating nan is out of range") as info:
        load_movielens(path)
    assert (info.value.line, info.value.post_id) == (8, "9")


def test_movielens_header_and_options(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text("user,item,rating,time\n1,2,3,4\n")
    with pytest.raises(fr.InputError) as info:
        load_movielens(path)
    assert info.value.line == 1
    assert "userId,movieId,rating,timestamp" in str(info.value)
    assert load_movielens(path, errors="collect").errors[0].line == 1
    with pytest.raises(fr.InputError, match="no such file"):
        load_movielens(tmp_path / "missing.data")
    with pytest.raises(fr.InputError, match="errors="):
        load_movielens(path, errors="ignore")  # type: ignore[arg-type]


# ------------------------------------------------------------------ Hacker News
HN_HEADER = (
    "snapshot_date,snapshot_time_utc,snapshot_time_reliable,item_id,by,title,url,score,"
    "comments,submission_time_raw,raw_tz_offset_h,submission_time_utc,age_hours_at_snapshot\n"
)
HN_ROWS = (
    "2017-08-09,2017-12-06T16:46:22Z,0,14949978,beliu,Internet Draft: Let 'localhost' be "
    "localhost,https://tools.ietf.org/html/draft-west-let-localhost-be-localhost-04,574,153,"
    "2017-08-08T02:33:48,8,2017-08-07T18:33:48Z,\n"
    "2017-08-09,2017-12-06T16:46:22Z,0,14950122,danicgross,Jeff Dean’s Lecture for YC AI "
    "[video],http://blog.ycombinator.com/jeff-deans-lecture-for-yc-ai?src=hn,412,54,"
    "2017-08-08T02:49:28,8,2017-08-07T18:49:28Z,\n"
)


def test_hacker_news_extract_from_tests_data() -> None:
    hn = load_hacker_news(DATA / "hn_frontpage_daily" / "rows.csv")
    assert len(hn) == 1
    assert hn.errors == []
    snap = hn.snapshots[0]
    assert snap.date == date(2021, 12, 18)
    assert snap.taken_at == utc(2021, 12, 18, 12, 4, 5)
    assert snap.taken_at_reliable is None  # the extract has no reliability column
    assert len(snap) == 41
    first = snap.posts[0]
    assert first.id == "29595598"
    assert first.author_id == "DrHilarius"
    assert first.created_at == utc(2021, 12, 17, 17, 49, 19)
    assert first.counts == {K.UPVOTE: 1431, K.REPLY: 556}
    assert first.url == "https://www.bmj.com/content/375/bmj.n2635/rr-80"
    assert hn.snapshot("2021-12-18") is snap
    with open(DATA / "hn_frontpage_daily" / "rows.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sum(p.counts[K.UPVOTE] for p in snap.posts) == sum(int(r["score"]) for r in rows)
    assert snap.batch().count("reply").sum() == sum(int(r["comments"]) for r in rows)


def test_hacker_news_gzip_snapshots_in_date_order(tmp_path: Path) -> None:
    later = HN_ROWS.replace(
        "2017-08-09,2017-12-06T16:46:22Z,0", "2022-01-02,2022-01-02T12:01:00Z,1"
    )
    path = tmp_path / "frontpage_snapshots.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as fh:
        fh.write(HN_HEADER + later + HN_ROWS)
    hn = load_hacker_news(path)
    assert [s.date for s in hn.snapshots] == [date(2017, 8, 9), date(2022, 1, 2)]
    old, new = hn.snapshots
    assert (old.taken_at_reliable, new.taken_at_reliable) == (False, True)
    assert new.taken_at == utc(2022, 1, 2, 12, 1)
    assert [p.id for p in old.posts] == ["14949978", "14950122"]
    assert old.posts[1].text == "Jeff Dean’s Lecture for YC AI [video]"
    assert old.posts[0].created_at == utc(2017, 8, 7, 18, 33, 48)
    only = load_hacker_news(path, dates=["2022-01-02"])
    assert [s.date for s in only.snapshots] == [date(2022, 1, 2)]
    with pytest.raises(fr.InputError, match="no snapshot dated 2019-01-01"):
        hn.snapshot(date(2019, 1, 1))


def test_hacker_news_errors_name_line_and_field(tmp_path: Path) -> None:
    bad_score = HN_ROWS.splitlines()[1].replace(",412,54,", ",4x2,54,")
    bad_time = HN_ROWS.splitlines()[0].replace("2017-08-07T18:33:48Z", "2017-08-07 18:33")
    moved = HN_ROWS.splitlines()[0].replace("14949978", "1").replace("16:46:22Z", "16:46:23Z")
    path = tmp_path / "hn.csv"
    path.write_text(HN_HEADER + HN_ROWS + bad_score + "\n" + bad_time + "\n" + moved + "\n")
    with pytest.raises(fr.InputError) as info:
        load_hacker_news(path)
    assert (info.value.line, info.value.field, info.value.post_id) == (4, "score", "14950122")
    got = load_hacker_news(path, errors="collect")
    assert [(e.line, e.field) for e in got.errors] == [
        (4, "score"),
        (5, "submission_time_utc"),
        (6, "snapshot_time_utc"),
    ]
    assert "item_id" in str(got.errors[0]) or "14950122" in str(got.errors[0])
    assert len(got.snapshots[0]) == 2
    dup = tmp_path / "dup.csv"
    dup.write_text(HN_HEADER + HN_ROWS + HN_ROWS.splitlines()[0] + "\n")
    with pytest.raises(fr.InputError, match=r"appears twice .* \(first on line 2\)"):
        load_hacker_news(dup)
    missing = tmp_path / "missing_col.csv"
    missing.write_text("snapshot_date,item_id\n2017-08-09,1\n")
    with pytest.raises(fr.InputError) as info:
        load_hacker_news(missing)
    assert (info.value.line, info.value.field) == (1, "snapshot_time_utc")


# ------------------------------------------------------------------ Reddit
REDDIT_HEADER = (
    "created_utc,score,domain,id,title,ups,downs,num_comments,permalink,selftext,"
    "link_flair_text,over_18,thumbnail,subreddit_id,edited,link_flair_css_class,"
    "author_flair_css_class,is_self,name,url,distinguished\n"
)
REDDIT_PYTHON = (
    '1370746482.0,1003,i.imgur.com,1fymy0,"I got a funny error trying to open a file, and '
    'decided to illustrate it.",1204,201,49,http://www.reddit.com/r/Python/comments/1fymy0/'
    "i_got_a_funny_error_trying_to_open_a_file_and/,,,False,,t5_2qh0y,False,,,False,t3_1fymy0,"
    "http://i.imgur.com/To3DQ6J.jpg,\n"
    "1362023433.0,259,self.Python,19dir2,What's the one code snippet/python trick/etc did you "
    "wish you knew when you learned python?,300,41,329,http://www.reddit.com/r/Python/comments/"
    '19dir2/whats_the_one_code_snippetpython_tricketc_did_you/,"I think this is cool:\n\n'
    '&gt;&gt;&gt; import this",,False,,t5_2qh0y,False,,,True,t3_19dir2,http://www.reddit.com/'
    "r/Python/comments/19dir2/whats_the_one_code_snippetpython_tricketc_did_you/,\n"
)
REDDIT_ML_BAD = (
    "1270831625.0,34,thearling.com,boqf9,An Overview of Data Mining Techniques,38,4,-1,"
    "http://www.reddit.com/r/MachineLearning/comments/boqf9/an_overview_of_data_mining_"
    "techniques/,,,False,http://thumbs.reddit.com/t3_boqf9.png,t5_2r3gv,False,,,False,t3_boqf9,"
    "http://www.thearling.com/text/dmtechniques/dmtechniques.htm,\n"
)


def test_reddit_extract_from_tests_data() -> None:
    got = load_reddit(DATA / "reddit_top_2013" / "rows.csv")
    assert len(got) == 41
    assert got.errors == []
    assert got.authors == []
    first = got.posts[0]
    assert first.id == "1kfzpz"
    assert first.author_id == "askscience"
    assert first.topics == ("askscience",)
    assert first.created_at == datetime.fromtimestamp(1376600386, tz=UTC)
    assert first.counts == {K.UPVOTE: 6152, K.DOWNVOTE: 3293, K.REPLY: 224}
    with open(DATA / "reddit_top_2013" / "rows.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for post, row in zip(got.posts, rows, strict=True):
        assert post.created_at.timestamp() == float(row["created_utc"])
        assert post.counts.get(K.DOWNVOTE, 0) == int(row["downs"])


def test_reddit_full_format_labels_text_and_multiline_rows(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "Python.csv").write_text(REDDIT_HEADER + REDDIT_PYTHON, encoding="utf-8")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        '[{"uri": "http://www.reddit.com/r/Python/", "subscribers": 86113, "name": "/r/Python"}]'
    )
    got = load_reddit(folder, manifest=manifest)
    assert got.sources == (str(folder / "Python.csv"),)
    link, self_post = got.posts
    assert link.author_id == "Python"
    assert link.labels == ()
    assert link.url == "http://i.imgur.com/To3DQ6J.jpg"
    assert link.created_at == utc(2013, 6, 9, 2, 54, 42)
    assert self_post.labels == ("self",)
    assert self_post.text is not None
    assert self_post.text.endswith("\n\n&gt;&gt;&gt; import this")
    assert got.authors == [
        fr.Author(id="Python", followers=86113, attributes={"kind": "subreddit"})
    ]
    assert got.batch().author_followers.tolist() == [86113.0, 86113.0]
    nsfw = REDDIT_PYTHON.splitlines()[0].replace(",False,,t5_2qh0y", ",True,,t5_2qh0y")
    (folder / "Python.csv").write_text(REDDIT_HEADER + nsfw + "\n")
    assert load_reddit(folder).posts[0].labels == ("nsfw",)


def test_reddit_fractional_epoch_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(
        "subreddit,id,created_utc,ups,downs,num_comments\nx,a,1376600386.123456,1,0,0\n"
    )
    post = load_reddit(path).posts[0]
    assert post.created_at == utc(2013, 8, 15, 20, 59, 46, 123456)
    path.write_text(
        "subreddit,id,created_utc,ups,downs,num_comments\nx,a,1376600386.1234567,1,0,0\n"
    )
    with pytest.raises(fr.InputError, match="fraction below a microsecond"):
        load_reddit(path)


def test_reddit_errors_collect_and_line_numbers_after_multiline_rows(tmp_path: Path) -> None:
    path = tmp_path / "MachineLearning.csv"
    mismatch = REDDIT_PYTHON.splitlines()[0].replace(",1003,", ",1000,")
    path.write_text(REDDIT_HEADER + REDDIT_PYTHON + REDDIT_ML_BAD + mismatch + "\n")
    with pytest.raises(fr.InputError) as info:
        load_reddit(path)
    err = info.value
    # the second Python row spans lines 3-5, so the -1 row starts on line 6
    assert (err.source, err.line, err.post_id, err.field) == (str(path), 6, "boqf9", "num_comments")
    assert err.expected == "an integer >= 0"
    got = load_reddit(path, errors="collect")
    assert [p.id for p in got.posts] == ["1fymy0", "19dir2"]
    assert [(e.line, e.field) for e in got.errors] == [(6, "num_comments"), (7, "score")]
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text(REDDIT_HEADER + REDDIT_PYTHON)
    two.write_text(REDDIT_HEADER + REDDIT_PYTHON)
    with pytest.raises(fr.InputError) as dup:
        load_reddit([one, two])
    assert (dup.value.source, dup.value.line, dup.value.field) == (str(two), 2, "id")
    assert f"duplicate id (first in {one} line 2)" in dup.value.message


def test_reddit_manifest_must_list_the_subreddit(tmp_path: Path) -> None:
    path = tmp_path / "Python.csv"
    path.write_text(REDDIT_HEADER + REDDIT_PYTHON)
    manifest = tmp_path / "manifest.json"
    manifest.write_text('[{"uri": "http://www.reddit.com/r/funny/", "subscribers": 1}]')
    with pytest.raises(fr.InputError, match="not in the manifest"):
        load_reddit(path, manifest=manifest)


# ------------------------------------------------------------------ Twitter
def test_twitter_extract_counts_times_and_mac_roman_text() -> None:
    got = load_twitter(DATA / "twitter_ratio_2017")
    assert len(got) == 54
    assert got.errors == []
    by_author = {p.author_id for p in got.posts}
    assert by_author == {"BarackObama", "realDonaldTrump"}
    first = got.posts[0]  # BarackObama.csv sorts first
    assert first.id == "920061541986250758"
    assert first.created_at == utc(2017, 10, 16, 22, 59)
    assert first.counts == {K.REPLY: 17064, K.REPOST: 89916, K.LIKE: 641842}
    assert first.url == "https://twitter.com/BarackObama/status/920061541986250758"
    raw = (DATA / "twitter_ratio_2017" / "BarackObama.csv").read_bytes()
    with open(
        DATA / "twitter_ratio_2017" / "BarackObama.csv", encoding="mac_roman", newline=""
    ) as fh:
        rows = list(csv.DictReader(fh))
    assert any(b > 127 for b in raw)
    assert [p.text for p in got.posts[:20]] == [r["text"] for r in rows]
    puerto = next(p for p in got.posts if p.id == "912724426709504000")
    assert puerto.text is not None
    assert any(ord(c) > 127 for c in puerto.text)
    assert got.batch().count("like").sum() == sum(p.counts[K.LIKE] for p in got.posts)


def test_twitter_bad_rows(tmp_path: Path) -> None:
    src = (DATA / "twitter_ratio_2017" / "realDonaldTrump.csv").read_bytes().split(b"\r\n")
    if len(src) < 3:
        src = (DATA / "twitter_ratio_2017" / "realDonaldTrump.csv").read_bytes().split(b"\n")
    header, row1, row2 = src[0], src[1], src[2]
    wrong_user = row2.replace(b",realDonaldTrump", b",BarackObama")
    bad_date = row1.replace(b"10/17/17 23:06", b"2017-10-17 23:06")
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join([header, row1, wrong_user, bad_date, row1]) + b"\n")
    got = load_twitter(path, errors="collect")
    assert [p.id for p in got.posts] == ["920425695507042305"]
    assert [(e.line, e.field) for e in got.errors] == [(3, "user"), (4, "created_at"), (5, "url")]
    assert got.errors[0].post_id == "920425069964349445"
    assert "duplicate tweet (first in" in got.errors[2].message
    with pytest.raises(fr.InputError) as info:
        load_twitter(path)
    assert info.value.line == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(fr.InputError, match=r"no \*\.csv files"):
        load_twitter(empty)


def test_reddit_manifest_with_a_key_twice_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "Python.csv"
    path.write_text(REDDIT_HEADER + REDDIT_PYTHON)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        '[{"uri": "http://www.reddit.com/r/Python/",\n  "subscribers": 1, "subscribers": 9}]'
    )
    with pytest.raises(fr.InputError) as info:
        load_reddit(path, manifest=manifest)
    assert (info.value.source, info.value.line) == (str(manifest), 2)
    assert "duplicate key 'subscribers'" in str(info.value)
