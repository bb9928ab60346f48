// The operations the app runs, typed by hand from schema.graphql (a bigger app would
// generate these types from the schema, see the README).
import { gql } from "urql";

export interface Person {
  id: string;
  name: string;
}

export interface UserError {
  code: string;
  field: string[] | null;
  message: string;
}

export type PairStatus = "ACTIVE" | "COMPLETED" | "ENDED";

/** The pair fields that change over time; every event carries them. */
export interface PairState {
  id: string;
  status: PairStatus;
  progress: number;
  checkInCount: number;
  lastCheckInAt: string | null;
  nextCheckInDue: string | null;
}

export interface Milestone {
  id: string;
  position: number;
  kind: string;
  title: string;
  description: string;
  suggestedWeek: number | null;
  completedAt: string | null;
  completedBy: Person | null;
}

export interface CheckIn {
  id: string;
  body: string;
  createdAt: string;
  author: Person;
}

export interface PairSummary extends PairState {
  program: { id: string; title: string };
  mentor: Person;
  mentee: Person;
  completedAt: string | null;
  endedAt: string | null;
  endedBy: Person | null;
  endReason: string | null;
}

export interface PairDetail extends PairSummary {
  milestones: Milestone[];
  checkIns: { totalCount: number; edges: { node: CheckIn }[] } | null;
}

const PAIR_STATE = `id status progress checkInCount lastCheckInAt nextCheckInDue`;
const CHECK_IN = `id body createdAt author { id name }`;

export const LoginMutation = gql<
  { login: { token: string | null; user: Person | null; userErrors: UserError[] } },
  { input: { email: string; password: string } }
>`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      user { id name }
      userErrors { code field message }
    }
  }
`;

export const LogoutMutation = gql<{ logout: { revokedCount: number | null } }, { input: object }>`
  mutation Logout($input: LogoutInput!) {
    logout(input: $input) { revokedCount }
  }
`;

export const MyPairsQuery = gql<
  { viewer: (Person & { pairs: { edges: { node: PairSummary }[] } | null }) | null },
  Record<string, never>
>`
  query MyPairs {
    viewer {
      id
      name
      pairs(first: 50) {
        edges {
          node {
            ${PAIR_STATE}
            program { id title }
            mentor { id name }
            mentee { id name }
            completedAt endedAt endedBy { id name } endReason
          }
        }
      }
    }
  }
`;

export const PairQuery = gql<{ pair: PairDetail | null; viewer: Person | null }, { id: string }>`
  query Pair($id: ID!) {
    viewer { id name }
    pair(id: $id) {
      ${PAIR_STATE}
      program { id title }
      mentor { id name }
      mentee { id name }
      completedAt endedAt endedBy { id name } endReason
      milestones {
        id position kind title description suggestedWeek completedAt
        completedBy { id name }
      }
      checkIns(first: 50) {
        totalCount
        edges { node { ${CHECK_IN} } }
      }
    }
  }
`;

export type PairEvent =
  | { __typename: "MilestoneCompletedEvent"; sequence: number; pair: PairState; milestone: Milestone }
  | { __typename: "CheckInPostedEvent"; sequence: number; pair: PairState; checkIn: CheckIn }
  | { __typename: "PairCompletedEvent" | "PairEndedEvent"; sequence: number; pair: PairState };

// `pairEvents` with no cursor replays the pair's history, then goes on live: merging is
// idempotent, so a reconnect (which replays again) never loses or doubles anything.
export const PairEventsSubscription = gql<{ pairEvents: PairEvent }, { pairId: string }>`
  subscription PairEvents($pairId: ID!) {
    pairEvents(pairId: $pairId) {
      __typename
      sequence
      pair { ${PAIR_STATE} }
      ... on MilestoneCompletedEvent {
        milestone {
          id position kind title description suggestedWeek completedAt
          completedBy { id name }
        }
      }
      ... on CheckInPostedEvent {
        checkIn { ${CHECK_IN} }
      }
    }
  }
`;

export const CompleteMilestoneMutation = gql<
  {
    completeMilestone: {
      milestone: Milestone | null;
      pair: PairState | null;
      userErrors: UserError[];
    };
  },
  { input: { milestoneId: string } }
>`
  mutation CompleteMilestone($input: CompleteMilestoneInput!) {
    completeMilestone(input: $input) {
      milestone {
        id position kind title description suggestedWeek completedAt
        completedBy { id name }
      }
      pair { ${PAIR_STATE} }
      userErrors { code field message }
    }
  }
`;

export const PostCheckInMutation = gql<
  { postCheckIn: { checkIn: CheckIn | null; pair: PairState | null; userErrors: UserError[] } },
  { input: { pairId: string; body: string } }
>`
  mutation PostCheckIn($input: PostCheckInInput!) {
    postCheckIn(input: $input) {
      checkIn { ${CHECK_IN} }
      pair { ${PAIR_STATE} }
      userErrors { code field message }
    }
  }
`;

// --- joining a group and signing up for its program ------------------------------------

export type MentorshipRole = "MENTOR" | "MENTEE";
export type QuestionKind = "TEXT" | "SINGLE_CHOICE" | "MULTIPLE_CHOICE";
export type SignUpStatus = "PENDING" | "MATCHED" | "WITHDRAWN";

export interface SignUpQuestion {
  id: string;
  prompt: string;
  kind: QuestionKind;
  options: string[];
  required: boolean;
  appliesTo: MentorshipRole[];
}

export interface MySignUp {
  id: string;
  role: MentorshipRole;
  status: SignUpStatus;
  program: { id: string; title: string };
}

export interface GroupSummary {
  id: string;
  name: string;
  description: string;
  memberCount: number;
  viewerRole: string | null;
  programs: { edges: { node: { id: string; title: string } }[] };
}

export const RegisterMutation = gql<
  { register: { token: string | null; user: Person | null; userErrors: UserError[] } },
  { input: { email: string; password: string; name: string; birthDate: string } }
>`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      token
      user { id name }
      userErrors { code field message }
    }
  }
`;

export const FindGroupsQuery = gql<
  { groups: { edges: { node: GroupSummary }[] } },
  { search: string | null }
>`
  query FindGroups($search: String) {
    groups(search: $search, first: 20) {
      edges {
        node {
          id name description memberCount viewerRole
          programs(status: OPEN, first: 10) { edges { node { id title } } }
        }
      }
    }
  }
`;

export const JoinGroupMutation = gql<
  { joinGroup: { group: { id: string } | null; userErrors: UserError[] } },
  { input: { groupId: string } }
>`
  mutation JoinGroup($input: JoinGroupInput!) {
    joinGroup(input: $input) {
      group { id }
      userErrors { code field message }
    }
  }
`;

export const ProgramFormQuery = gql<
  {
    program: {
      id: string;
      title: string;
      description: string;
      status: string;
      questions: SignUpQuestion[];
    } | null;
    viewer: { signUps: { edges: { node: MySignUp }[] } | null } | null;
  },
  { id: string }
>`
  query ProgramForm($id: ID!) {
    program(id: $id) {
      id title description status
      questions { id prompt kind options required appliesTo }
    }
    viewer {
      signUps(first: 50) { edges { node { id role status program { id title } } } }
    }
  }
`;

export const SignUpMutation = gql<
  { signUp: { signUp: MySignUp | null; userErrors: UserError[] } },
  {
    input: {
      programId: string;
      role: MentorshipRole;
      capacity?: number | null;
      answers: { questionId: string; value: string }[];
    };
  }
>`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      signUp { id role status program { id title } }
      userErrors { code field message }
    }
  }
`;

export const MySignUpsQuery = gql<
  { viewer: { id: string; signUps: { edges: { node: MySignUp }[] } | null } | null },
  Record<string, never>
>`
  query MySignUps {
    viewer {
      id
      signUps(first: 50) { edges { node { id role status program { id title } } } }
    }
  }
`;

export const WithdrawSignUpMutation = gql<
  { withdrawSignUp: { signUp: MySignUp | null; userErrors: UserError[] } },
  { input: { signUpId: string } }
>`
  mutation WithdrawSignUp($input: WithdrawSignUpInput!) {
    withdrawSignUp(input: $input) {
      signUp { id role status program { id title } }
      userErrors { code field message }
    }
  }
`;

// With `after` (the cursor of the last notification received), the notifications sent
// since are replayed first, so a resubscription misses none.
export const ViewerNotificationsSubscription = gql<
  {
    viewerNotifications: {
      id: string;
      cursor: string;
      kind: string;
      message: string;
      pair: { id: string } | null;
    };
  },
  { after: string | null }
>`
  subscription ViewerNotifications($after: String) {
    viewerNotifications(after: $after) { id cursor kind message pair { id } }
  }
`;
